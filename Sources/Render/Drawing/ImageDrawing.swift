import Basics
extension RGBImage {
    /// A `width` x `height` image of one colour.
    public init(width: Int, height: Int, color: RGBColor) {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for i in stride(from: 0, to: pixels.count, by: 3) {
            pixels[i] = color.r; pixels[i + 1] = color.g; pixels[i + 2] = color.b
        }
        self.init(width: width, height: height, pixels: pixels)
    }

    /// The part of `rect` inside the image (possibly empty).
    func clipped(_ rect: PixelRect) -> PixelRect {
        let x0 = max(0, rect.x), y0 = max(0, rect.y)
        let x1 = min(width, rect.maxX), y1 = min(height, rect.maxY)
        return PixelRect(x: x0, y: y0, width: max(0, x1 - x0), height: max(0, y1 - y0))
    }

    /// Paints `rect` (clipped to the image) with `color`.
    public mutating func fill(_ rect: PixelRect, with color: RGBColor) {
        let area = clipped(rect)
        guard area.width > 0 && area.height > 0 else { return }
        for y in area.y..<area.maxY {
            var i = (y * width + area.x) * 3
            for _ in 0..<area.width {
                pixels[i] = color.r; pixels[i + 1] = color.g; pixels[i + 2] = color.b
                i += 3
            }
        }
    }

    /// A frame of `thickness` pixels drawn inside `rect`.
    public mutating func stroke(_ rect: PixelRect, thickness: Int, with color: RGBColor) {
        precondition(thickness >= 0, "stroke thickness must be >= 0")
        let t = min(thickness, rect.width, rect.height)
        guard t > 0 else { return }
        fill(PixelRect(x: rect.x, y: rect.y, width: rect.width, height: t), with: color)
        fill(PixelRect(x: rect.x, y: rect.maxY - t, width: rect.width, height: t), with: color)
        fill(PixelRect(x: rect.x, y: rect.y, width: t, height: rect.height), with: color)
        fill(PixelRect(x: rect.maxX - t, y: rect.y, width: t, height: rect.height), with: color)
    }

    /// Copies `image` with its top-left corner at (x, y); what falls outside is dropped.
    public mutating func paste(_ image: RGBImage, x: Int, y: Int) {
        let area = clipped(PixelRect(x: x, y: y, width: image.width, height: image.height))
        guard area.width > 0 && area.height > 0 else { return }
        let rowBytes = area.width * 3
        for row in area.y..<area.maxY {
            let from = ((row - y) * image.width + (area.x - x)) * 3
            let to = (row * width + area.x) * 3
            pixels.replaceSubrange(to..<to + rowBytes, with: image.pixels[from..<from + rowBytes])
        }
    }

    /// `images` one under the other, left-aligned, on `background`; as wide as the widest.
    public static func stackedVertically(_ images: [RGBImage], background: RGBColor = .white) -> RGBImage {
        precondition(!images.isEmpty, "nothing to stack")
        var canvas = RGBImage(width: images.map(\.width).max() ?? 1, height: images.map(\.height).reduce(0, +),
                              color: background)
        var y = 0
        for image in images {
            canvas.paste(image, x: 0, y: y)
            y += image.height
        }
        return canvas
    }
}
