import Basics
/// Attention heatmaps as images: normalise, upsample, colour, blend.
public enum Heatmap {
    /// The map normalised to 0...1 (min-max), resampled to `width` x `height` and coloured.
    public static func colorized(_ map: AttentionMap, width: Int, height: Int, colorMap: ColorMap) -> RGBImage {
        let scaled = map.normalised().resampled(width: width, height: height)
        let entries = colorMap.entries
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for (i, t) in scaled.values.enumerated() {
            let color = entries[ColorMap.index(of: t)]
            pixels[3 * i] = color.r; pixels[3 * i + 1] = color.g; pixels[3 * i + 2] = color.b
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// The coloured map blended over `image`: alpha 0 gives the image, 1 the colour map.
    public static func overlay(_ map: AttentionMap, on image: RGBImage, colorMap: ColorMap = .jet,
                               alpha: Double = 0.5) -> RGBImage {
        blend(colorized(map, width: image.width, height: image.height, colorMap: colorMap), over: image, alpha: alpha)
    }

    /// (1 - alpha) * base + alpha * top per channel, rounded half up.
    public static func blend(_ top: RGBImage, over base: RGBImage, alpha: Double) -> RGBImage {
        precondition((0...1).contains(alpha), "alpha must be in 0...1")
        precondition(top.width == base.width && top.height == base.height, "blended images must have one size")
        var pixels = base.pixels
        for i in pixels.indices {
            pixels[i] = clampToByte((1 - alpha) * Double(base.pixels[i]) + alpha * Double(top.pixels[i]))
        }
        return RGBImage(width: base.width, height: base.height, pixels: pixels)
    }
}
