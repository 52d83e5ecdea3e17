import Basics
import CChafa

/// How many colours the terminal shows, and so which chafa canvas mode draws for it.
public enum ColorMode: String, CaseIterable, Hashable, Sendable {
    /// 24-bit colour: cells carry `.rgb`.
    case truecolor
    /// The 240 colours of the 256-colour palette above the 16 user-configurable ones
    /// (CHAFA_CANVAS_MODE_INDEXED_240): cells carry `.indexed(16...255)`, which look the same in
    /// every terminal theme.
    case indexed240 = "256"
    /// The 16 ANSI colours: `.indexed(0...15)`.
    case indexed16 = "16"
    /// The 8 basic ANSI colours: `.indexed(0...7)`.
    case indexed8 = "8"
    /// No colour: shapes only, every cell `.default` on `.default` (CHAFA_CANVAS_MODE_FGBG).
    case monochrome = "mono"

    /// The mode for a terminal reporting `colors` colours (ncurses' COLORS).
    public init(terminalColors colors: Int) {
        switch colors {
        case (1 << 24)...: self = .truecolor
        case 256...: self = .indexed240
        case 16...: self = .indexed16
        case 8...: self = .indexed8
        default: self = .monochrome
        }
    }

    /// The palette pens a cell of this mode can use (nil for truecolor and monochrome).
    public var penRange: ClosedRange<UInt8>? {
        switch self {
        case .truecolor, .monochrome: return nil
        case .indexed240: return 16...255
        case .indexed16: return 0...15
        case .indexed8: return 0...7
        }
    }

    var chafaMode: ChafaCanvasMode {
        switch self {
        case .truecolor: return CHAFA_CANVAS_MODE_TRUECOLOR
        case .indexed240: return CHAFA_CANVAS_MODE_INDEXED_240
        case .indexed16: return CHAFA_CANVAS_MODE_INDEXED_16
        case .indexed8: return CHAFA_CANVAS_MODE_INDEXED_8
        case .monochrome: return CHAFA_CANVAS_MODE_FGBG
        }
    }
}
