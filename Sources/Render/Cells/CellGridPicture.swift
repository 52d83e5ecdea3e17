import Basics

/// A cell grid drawn as a picture, the way a terminal would show it: each cell a
/// `cellWidth` x `cellHeight` block of its background colour with its character in the
/// foreground colour. Text uses the bitmap font (at scale 2); block elements (U+2580...U+259F,
/// what chafa draws thumbnails with) are filled geometrically, so thumbnails come out as on
/// screen; box drawing (U+2500...U+257F) is drawn as strokes from the cell's centre, braille
/// (U+2800...U+28FF, the plots) as its dots.
///
/// Colours: `resolve(color, isForeground)` turns a cell's colour into 0xRRGGBB (the caller knows
/// the palette and the terminal's default colours).
public struct CellGridPicture {
    public static let cellWidth = 12
    public static let cellHeight = 24

    public let resolve: (CellColor, Bool) -> UInt32

    public init(resolve: @escaping (CellColor, Bool) -> UInt32) { self.resolve = resolve }

    /// grid: columns x rows cells -> an image of (columns * 12) x (rows * 24) pixels.
    public func render(_ grid: CellGrid) -> RGBImage {
        let width = grid.columns * Self.cellWidth, height = grid.rows * Self.cellHeight
        var image = RGBImage(width: width, height: height, pixels: [UInt8](repeating: 0, count: width * height * 3))
        for row in 0..<grid.rows {
            for column in 0..<grid.columns {
                draw(grid[column, row], into: &image, x: column * Self.cellWidth, y: row * Self.cellHeight)
            }
        }
        return image
    }

    private func draw(_ cell: Cell, into image: inout RGBImage, x: Int, y: Int) {
        var foreground = resolve(cell.foreground, true), background = resolve(cell.background, false)
        if cell.style.contains(.reverse) { swap(&foreground, &background) }
        if cell.style.contains(.dim) { foreground = Self.mix(foreground, background, 0.5) }
        let w = Self.cellWidth, h = Self.cellHeight
        Self.fill(&image, x, y, w, h, background)
        let value = cell.character.value
        switch value {
        case 0x2580...0x259F:
            drawBlock(value, &image, x, y, foreground, background)
        case 0x2500...0x257F:
            drawBox(value, &image, x, y, foreground)
        case 0x2800...0x28FF:
            drawBraille(value - 0x2800, &image, x, y, foreground)
        default:
            let text = Self.asciiStandIn(cell.character)
            if text != " " {
                // The 5x7 font at scale 2 (10 x 14 pixels), centred in the 12 x 24 cell.
                BitmapFont.draw(String(text), into: &image, x: x + 1, y: y + 5, color: RGBColor(packed: foreground), scale: 2)
            }
        }
        if cell.style.contains(.underline) { Self.fill(&image, x, y + h - 2, w, 2, foreground) }
    }

    /// Block elements as rectangles of the cell (in eighths) or as shades.
    private func drawBlock(_ value: UInt32, _ image: inout RGBImage, _ x: Int, _ y: Int, _ fg: UInt32, _ bg: UInt32) {
        let w = Self.cellWidth, h = Self.cellHeight
        func rect(_ left: Int, _ top: Int, _ right: Int, _ bottom: Int) {  // eighths of the cell
            let x0 = x + left * w / 8, x1 = x + right * w / 8, y0 = y + top * h / 8, y1 = y + bottom * h / 8
            Self.fill(&image, x0, y0, x1 - x0, y1 - y0, fg)
        }
        switch value {
        case 0x2580: rect(0, 0, 8, 4)                                   // upper half
        case 0x2581...0x2588: rect(0, 8 - Int(value - 0x2580), 8, 8)    // lower n eighths, full block
        case 0x2589...0x258F: rect(0, 0, 8 - Int(value - 0x2588), 8)    // left 7..1 eighths
        case 0x2590: rect(4, 0, 8, 8)                                   // right half
        case 0x2591, 0x2592, 0x2593:                                    // light, medium, dark shade
            Self.fill(&image, x, y, w, h, Self.mix(fg, bg, Double(value - 0x2590) / 4))
        case 0x2594: rect(0, 0, 8, 1)                                   // upper eighth
        case 0x2595: rect(7, 0, 8, 8)                                   // right eighth
        default:
            // Quadrants U+2596...U+259F: bits for upper-left, upper-right, lower-left, lower-right.
            let quadrants: [UInt32: UInt8] = [0x2596: 0b0010, 0x2597: 0b0001, 0x2598: 0b1000, 0x2599: 0b1011,
                                              0x259A: 0b1001, 0x259B: 0b1110, 0x259C: 0b1101, 0x259D: 0b0100,
                                              0x259E: 0b0110, 0x259F: 0b0111]
            let q = quadrants[value] ?? 0
            if q & 0b1000 != 0 { rect(0, 0, 4, 4) }
            if q & 0b0100 != 0 { rect(4, 0, 8, 4) }
            if q & 0b0010 != 0 { rect(0, 4, 4, 8) }
            if q & 0b0001 != 0 { rect(4, 4, 8, 8) }
        }
    }

    /// Box drawing as strokes from the centre toward the sides it reaches; diagonals as lines.
    private func drawBox(_ value: UInt32, _ image: inout RGBImage, _ x: Int, _ y: Int, _ fg: UInt32) {
        let w = Self.cellWidth, h = Self.cellHeight, cx = x + w / 2 - 1, cy = y + h / 2 - 1
        let (left, right, up, down, heavy) = Self.boxArms(value)
        let t = heavy ? 3 : 2
        if left { Self.fill(&image, x, cy, w / 2 + 1, t, fg) }
        if right { Self.fill(&image, cx, cy, w - (cx - x), t, fg) }
        if up { Self.fill(&image, cx, y, t, h / 2 + 1, fg) }
        if down { Self.fill(&image, cx, cy, t, h - (cy - y), fg) }
        if value == 0x2571 || value == 0x2573 { Self.line(&image, x, y + h - 1, x + w - 1, y, fg) }
        if value == 0x2572 || value == 0x2573 { Self.line(&image, x, y, x + w - 1, y + h - 1, fg) }
    }

    /// Braille: 2 x 4 dots; bits 0-2 and 6 are the left column top to bottom, 3-5 and 7 the right.
    private func drawBraille(_ bits: UInt32, _ image: inout RGBImage, _ x: Int, _ y: Int, _ fg: UInt32) {
        let dots: [(bit: UInt32, column: Int, row: Int)] = [(0x01, 0, 0), (0x02, 0, 1), (0x04, 0, 2), (0x40, 0, 3),
                                                           (0x08, 1, 0), (0x10, 1, 1), (0x20, 1, 2), (0x80, 1, 3)]
        let w = Self.cellWidth, h = Self.cellHeight
        for dot in dots where bits & dot.bit != 0 {
            Self.fill(&image, x + w / 4 + dot.column * w / 2 - 1, y + h / 8 + dot.row * h / 4 - 1, 3, 3, fg)
        }
    }

    /// Which sides a box-drawing character reaches (light and heavy lines, corners, tees,
    /// crosses, arcs, dashes, half lines); doubled lines are drawn single.
    static func boxArms(_ value: UInt32) -> (left: Bool, right: Bool, up: Bool, down: Bool, heavy: Bool) {
        switch value {
        case 0x2500, 0x2504, 0x2508, 0x254C, 0x2550: return (true, true, false, false, false)
        case 0x2501, 0x2505, 0x2509, 0x254D: return (true, true, false, false, true)
        case 0x2502, 0x2506, 0x250A, 0x254E, 0x2551: return (false, false, true, true, false)
        case 0x2503, 0x2507, 0x250B, 0x254F: return (false, false, true, true, true)
        case 0x250C...0x250F, 0x2552...0x2554, 0x256D: return (false, true, false, true, value == 0x250F)
        case 0x2510...0x2513, 0x2555...0x2557, 0x256E: return (true, false, false, true, value == 0x2513)
        case 0x2514...0x2517, 0x2558...0x255A, 0x2570: return (false, true, true, false, value == 0x2517)
        case 0x2518...0x251B, 0x255B...0x255D, 0x256F: return (true, false, true, false, value == 0x251B)
        case 0x251C...0x2523, 0x255E...0x2560: return (false, true, true, true, value == 0x2523)
        case 0x2524...0x252B, 0x2561...0x2563: return (true, false, true, true, value == 0x252B)
        case 0x252C...0x2533, 0x2564...0x2566: return (true, true, false, true, value == 0x2533)
        case 0x2534...0x253B, 0x2567...0x2569: return (true, true, true, false, value == 0x253B)
        case 0x253C...0x254B, 0x256A...0x256C: return (true, true, true, true, value == 0x254B)
        case 0x2574, 0x2578: return (true, false, false, false, value == 0x2578)
        case 0x2575, 0x2579: return (false, false, true, false, value == 0x2579)
        case 0x2576, 0x257A: return (false, true, false, false, value == 0x257A)
        case 0x2577, 0x257B: return (false, false, false, true, value == 0x257B)
        case 0x257C: return (true, true, false, false, false)
        case 0x257D, 0x257F: return (false, false, true, true, false)
        case 0x257E: return (true, true, false, false, false)
        default: return (false, false, false, false, false)
        }
    }

    /// The ASCII the bitmap font draws for a character outside it (punctuation the screen
    /// uses); anything else becomes '?', as the font does.
    static func asciiStandIn(_ character: Unicode.Scalar) -> Unicode.Scalar {
        switch character.value {
        case 0x20...0x7E: return character
        case 0x00B7, 0x2022, 0x2026, 0x22C5: return "."
        case 0x2013, 0x2014, 0x2212: return "-"
        case 0x00D7: return "x"
        case 0x00B1: return "+"
        case 0x2190: return "<"
        case 0x2192: return ">"
        case 0x2191, 0x2193: return "|"
        case 0x00B0: return "o"
        default: return "?"
        }
    }

    /// `amount` of `a` over `b`.
    static func mix(_ a: UInt32, _ b: UInt32, _ amount: Double) -> UInt32 {
        var result: UInt32 = 0
        for shift in [16, 8, 0] as [UInt32] {
            let ca = Double(a >> shift & 0xFF), cb = Double(b >> shift & 0xFF)
            result |= UInt32((ca * amount + cb * (1 - amount)).rounded()) << shift
        }
        return result
    }

    static func fill(_ image: inout RGBImage, _ x: Int, _ y: Int, _ w: Int, _ h: Int, _ rgb: UInt32) {
        let x0 = max(0, x), y0 = max(0, y), x1 = min(image.width, x + w), y1 = min(image.height, y + h)
        guard x0 < x1, y0 < y1 else { return }
        let r = UInt8(rgb >> 16 & 0xFF), g = UInt8(rgb >> 8 & 0xFF), b = UInt8(rgb & 0xFF)
        let width = image.width
        image.pixels.withUnsafeMutableBufferPointer { p in
            for py in y0..<y1 {
                var i = (py * width + x0) * 3
                for _ in x0..<x1 {
                    p[i] = r; p[i + 1] = g; p[i + 2] = b
                    i += 3
                }
            }
        }
    }

    static func line(_ image: inout RGBImage, _ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ rgb: UInt32) {
        let steps = max(abs(x1 - x0), abs(y1 - y0), 1)
        for s in 0...steps {
            let px = x0 + (x1 - x0) * s / steps, py = y0 + (y1 - y0) * s / steps
            fill(&image, px, py, 2, 1, rgb)
        }
    }
}
