import Basics
/// Pictures one above another on white, left-aligned, with a gap: the rows of a robustness
/// figure (one contact sheet per strength) as one image.
public enum SheetStack {
    public static func vertical(_ images: [RGBImage], gap: Int = 8) -> RGBImage {
        precondition(!images.isEmpty, "nothing to stack")
        let width = images.map(\.width).max()!
        let height = images.map(\.height).reduce(0, +) + gap * (images.count - 1)
        var out = RGBImage(width: width, height: height, color: .white)
        var top = 0
        for image in images {
            out.pixels.withUnsafeMutableBufferPointer { destination in
                image.pixels.withUnsafeBufferPointer { source in
                    for y in 0..<image.height {
                        let from = y * image.width * 3, to = ((top + y) * width) * 3
                        for i in 0..<(image.width * 3) { destination[to + i] = source[from + i] }
                    }
                }
            }
            top += image.height + gap
        }
        return out
    }
}
