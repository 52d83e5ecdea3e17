import Basics
import Render

/// Turns a cell's colours into the colour numbers ncurses takes for the terminal's colour mode.
/// Pure, for tests. -1 is the terminal's default colour (use_default_colors).
///
/// - truecolor (direct-colour terminfo such as tmux-direct, xterm-direct: COLORS = 2^24): the
///   colour number *is* 0xRRGGBB, except that setaf/setab send numbers below 8 as the ANSI
///   colours, so RGB values 0...7 (all near-black) are nudged to 0x010101. `.indexed(n)` sends
///   0...7 as themselves (the theme's colours) and the rest as xterm's RGB for that index.
/// - indexed240: `.indexed` as is, `.rgb` to the nearest of 16...255.
/// - indexed16 / indexed8: `.rgb` to the nearest ANSI colour; `.indexed` above the range to
///   its nearest (8...15 -> 0...7 in 8-colour mode, dropping "bright").
/// - monochrome: everything -1.
struct CursesColorResolver {
    let mode: ColorMode
    /// False when the terminal refused use_default_colors: `.default` becomes white on black.
    var defaultColorsAvailable = true

    static let directColorFloor: Int32 = 8

    func foreground(_ color: CellColor) -> Int32 { resolve(color, fallback: 7) }
    func background(_ color: CellColor) -> Int32 { resolve(color, fallback: 0) }

    func resolve(_ color: CellColor, fallback: Int32) -> Int32 {
        switch (mode, color) {
        case (.monochrome, _):
            return -1
        case (_, .default):
            return defaultColorsAvailable ? -1 : fallback
        case (.truecolor, .rgb(let value)):
            return Self.direct(value)
        case (.truecolor, .indexed(let index)):
            return index < 8 ? Int32(index) : Self.direct(XtermPalette.rgb(ofIndex: index))
        case (.indexed240, .rgb(let value)):
            return Int32(XtermPalette.nearest240(value))
        case (.indexed240, .indexed(let index)):
            return Int32(index)
        case (.indexed16, .rgb(let value)):
            return Int32(XtermPalette.nearest16(value))
        case (.indexed16, .indexed(let index)):
            return Int32(index < 16 ? index : XtermPalette.nearest16(XtermPalette.rgb(ofIndex: index)))
        case (.indexed8, .rgb(let value)):
            return Int32(XtermPalette.nearest8(value))
        case (.indexed8, .indexed(let index)):
            switch index {
            case 0..<8: return Int32(index)
            case 8..<16: return Int32(index - 8)
            default: return Int32(XtermPalette.nearest8(XtermPalette.rgb(ofIndex: index)))
            }
        }
    }

    private static func direct(_ rgb: UInt32) -> Int32 {
        let value = Int32(rgb & 0xFF_FFFF)
        return value < directColorFloor ? 0x010101 : value
    }
}
