import Basics
import CChafa

/// Which characters thumbnails are drawn with. Both sets leave out everything chafa tags wide
/// or ambiguous (and chafa's inverted duplicates, which add nothing when both colours are free),
/// so every cell is one column wide.
public enum CellSymbols: String, CaseIterable, Hashable, Sendable {
    /// Space, block elements (U+2580...U+259F) and box drawing (U+2500...U+257F): chafa's
    /// block + border + space classes, its own default. Unicode gives these East Asian width
    /// "ambiguous"; every terminal draws them one column wide except one set to draw ambiguous
    /// characters wide (a CJK setting), which should use `.ascii`.
    case blocks
    /// Printable ASCII only: coarser, but one column wide everywhere.
    case ascii

    /// Whether `character` is one this set can produce.
    public func allows(_ character: Unicode.Scalar) -> Bool {
        switch self {
        case .blocks: return character == " " || (0x2500...0x259F).contains(character.value)
        case .ascii: return (0x20...0x7E).contains(character.value)
        }
    }

    var includedTags: ChafaSymbolTags {
        switch self {
        case .blocks:
            return ChafaSymbolTags(rawValue: CHAFA_SYMBOL_TAG_BLOCK.rawValue | CHAFA_SYMBOL_TAG_BORDER.rawValue
                | CHAFA_SYMBOL_TAG_SPACE.rawValue)
        case .ascii:
            return ChafaSymbolTags(rawValue: CHAFA_SYMBOL_TAG_ASCII.rawValue | CHAFA_SYMBOL_TAG_SPACE.rawValue)
        }
    }

    static let excludedTags = ChafaSymbolTags(rawValue: CHAFA_SYMBOL_TAG_WIDE.rawValue
        | CHAFA_SYMBOL_TAG_AMBIGUOUS.rawValue | CHAFA_SYMBOL_TAG_INVERTED.rawValue)
}
