import Basics
import Foundation

/// A small fixed-size line plot in braille characters (2 x 4 dots a cell), with the y range
/// on the left and the x range underneath.
public enum BrailleLinePlot {
    public static func draw(x: [Double], y: [Double], columns: Int = 60, rows: Int = 12,
                            xLabel: String, yLabel: String) -> [String] {
        guard !x.isEmpty, x.count == y.count else { return [] }
        let width = columns * 2, height = rows * 4
        var dots = [[Bool]](repeating: [Bool](repeating: false, count: width), count: height)
        let xMin = x.min()!, xMax = x.max()!
        var yMin = y.min()!, yMax = y.max()!
        if yMax - yMin < 1e-12 { yMin -= 0.05; yMax += 0.05 }
        func px(_ v: Double) -> Double { xMax > xMin ? (v - xMin) / (xMax - xMin) * Double(width - 1) : Double(width - 1) / 2 }
        func py(_ v: Double) -> Double { (yMax - v) / (yMax - yMin) * Double(height - 1) }
        func set(_ cx: Double, _ cy: Double) {
            let c = Int(cx.rounded()), r = Int(cy.rounded())
            if c >= 0, c < width, r >= 0, r < height { dots[r][c] = true }
        }
        if x.count == 1 { set(px(x[0]), py(y[0])) }
        for i in 0..<max(0, x.count - 1) {
            let (x0, y0, x1, y1) = (px(x[i]), py(y[i]), px(x[i + 1]), py(y[i + 1]))
            let steps = max(1, Int(max(abs(x1 - x0), abs(y1 - y0)).rounded(.up)))
            for s in 0...steps {
                let t = Double(s) / Double(steps)
                set(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t)
            }
        }
        // Braille dot bits: column 0 rows 0-3 = 0x01, 0x02, 0x04, 0x40; column 1 = 0x08, 0x10, 0x20, 0x80.
        let bits: [[UInt32]] = [[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]]
        let top = String(format: "%.4f", yMax), bottom = String(format: "%.4f", yMin)
        let margin = max(top.count, bottom.count, yLabel.count)
        func pad(_ s: String) -> String { String(repeating: " ", count: margin - s.count) + s }
        var lines: [String] = []
        for row in 0..<rows {
            var text = ""
            for column in 0..<columns {
                var code: UInt32 = 0
                for dy in 0..<4 { for dx in 0..<2 where dots[row * 4 + dy][column * 2 + dx] { code |= bits[dy][dx] } }
                text.unicodeScalars.append(Unicode.Scalar(0x2800 + code)!)
            }
            let label = row == 0 ? top : row == rows - 1 ? bottom : row == rows / 2 ? yLabel : ""
            lines.append(pad(label) + " │" + text)
        }
        lines.append(String(repeating: " ", count: margin) + " └" + String(repeating: "─", count: columns))
        let left = AugmentationNumber.format(xMin), right = AugmentationNumber.format(xMax)
        let gap = max(1, columns - left.count - right.count)
        lines.append(String(repeating: " ", count: margin + 2) + left + String(repeating: " ", count: gap) + right)
        lines.append(String(repeating: " ", count: margin + 2 + max(0, (columns - xLabel.count) / 2)) + xLabel)
        return lines
    }
}
