import Basics
import Foundation

/// The legend under a heatmap: a horizontal gradient bar of the colour map with tick marks at
/// both ends and the map's raw minimum and maximum written under them.
public enum HeatmapLegend {
    public static let barHeight = 10
    public static let margin = 4
    static let tickLength = 3

    /// The strip's height for a given font scale.
    public static func height(fontScale: Int = 1) -> Int {
        margin + barHeight + tickLength + 2 + BitmapFont.cellHeight * fontScale + margin - 1
    }

    /// A `width`-pixel strip (at least 2 * margin + 2 wide) on white.
    public static func strip(width: Int, colorMap: ColorMap, minimum: Float, maximum: Float,
                             fontScale: Int = 1) -> RGBImage {
        precondition(width >= 2 * margin + 2, "legend strip is too narrow")
        var strip = RGBImage(width: width, height: height(fontScale: fontScale), color: .white)
        let barWidth = width - 2 * margin
        let entries = colorMap.entries
        for x in 0..<barWidth {
            // Column x shows the value at its centre, so the ends are the first and last entries.
            let t = barWidth == 1 ? 0 : Float(x) / Float(barWidth - 1)
            strip.fill(PixelRect(x: margin + x, y: margin, width: 1, height: barHeight),
                       with: entries[ColorMap.index(of: t)])
        }
        let tickTop = margin + barHeight
        strip.fill(PixelRect(x: margin, y: tickTop, width: 1, height: tickLength), with: .black)
        strip.fill(PixelRect(x: width - margin - 1, y: tickTop, width: 1, height: tickLength), with: .black)
        let textY = tickTop + tickLength + 2
        let low = label(minimum), high = label(maximum)
        BitmapFont.draw(low, into: &strip, x: margin, y: textY, color: .black, scale: fontScale)
        let highX = max(margin + BitmapFont.width(of: low, scale: fontScale) + 6 * fontScale,
                        width - margin - BitmapFont.width(of: high, scale: fontScale))
        BitmapFont.draw(high, into: &strip, x: highX, y: textY, color: .black, scale: fontScale)
        return strip
    }

    /// `image` with a legend strip of its width attached under it.
    public static func attach(below image: RGBImage, colorMap: ColorMap, minimum: Float, maximum: Float,
                              fontScale: Int = 1) -> RGBImage {
        let width = max(image.width, 2 * margin + 2)
        let legend = strip(width: width, colorMap: colorMap, minimum: minimum, maximum: maximum, fontScale: fontScale)
        return RGBImage.stackedVertically([image, legend])
    }

    /// Three significant digits: 0.0123, 1.5, 2.4e+03.
    static func label(_ value: Float) -> String {
        value.isFinite ? String(format: "%.3g", Double(value)) : "n/a"
    }
}
