/// An 8-bit RGB image, row-major and interleaved (r, g, b, r, g, b, ...).
public struct RGBImage: Sendable, Equatable {
    /// Images larger than this are refused from their header, before any allocation:
    /// 2^28 pixels is 768 MiB of RGB8, far beyond any gallery image.
    public static let maxPixelCount = 1 << 28

    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0, "image size must be positive")
        precondition(pixels.count == width * height * 3, "pixel buffer does not match \(width)x\(height) RGB")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A grey image (one byte per pixel) expanded to RGB.
    public init(width: Int, height: Int, grey: some Collection<UInt8>) {
        precondition(grey.count == width * height, "grey buffer does not match \(width)x\(height)")
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        var i = 0
        for value in grey {
            rgb[i] = value; rgb[i + 1] = value; rgb[i + 2] = value
            i += 3
        }
        self.init(width: width, height: height, pixels: rgb)
    }

    /// Planar channels (all red, then all green, then all blue, as CIFAR stores them).
    public init(width: Int, height: Int, planar: some Collection<UInt8>) {
        let plane = width * height
        precondition(planar.count == plane * 3, "planar buffer does not match \(width)x\(height)x3")
        let source = Array(planar)
        var rgb = [UInt8](repeating: 0, count: plane * 3)
        for p in 0..<plane {
            rgb[3 * p] = source[p]
            rgb[3 * p + 1] = source[plane + p]
            rgb[3 * p + 2] = source[2 * plane + p]
        }
        self.init(width: width, height: height, pixels: rgb)
    }

    public subscript(x: Int, y: Int) -> (r: UInt8, g: UInt8, b: UInt8) {
        let i = (y * width + x) * 3
        return (pixels[i], pixels[i + 1], pixels[i + 2])
    }
}
