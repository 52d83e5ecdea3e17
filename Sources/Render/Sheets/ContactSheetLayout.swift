import Basics
/// The geometry of a contact sheet: a white canvas with an optional title line, a header row
/// holding the query and its heatmap, then the results in rows of `columns` tiles. Every tile is
/// a `tileSize` square inside a `border`-pixel frame, with `captionLines` lines of text under it.
public struct ContactSheetLayout: Hashable, Sendable {
    public var tileSize: Int
    public var columns: Int
    public var border: Int
    /// Space between framed tiles, and around the whole sheet.
    public var gap: Int
    public var margin: Int
    public var captionLines: Int
    public var fontScale: Int

    public init(tileSize: Int = 128, columns: Int = 5, border: Int = 4, gap: Int = 10, margin: Int = 12,
                captionLines: Int = 2, fontScale: Int = 1) {
        precondition(tileSize >= 8, "tile size must be at least 8 pixels")
        precondition(columns >= 2, "a sheet needs at least 2 columns (query and heatmap)")
        precondition(border >= 0 && gap >= 0 && margin >= 0, "border, gap and margin must be >= 0")
        precondition(captionLines >= 0 && fontScale >= 1, "caption lines >= 0 and font scale >= 1")
        self.tileSize = tileSize
        self.columns = columns
        self.border = border
        self.gap = gap
        self.margin = margin
        self.captionLines = captionLines
        self.fontScale = fontScale
    }

    /// Where one tile goes.
    public enum Slot: Hashable, Sendable {
        case query
        case heatmap
        case result(Int)
    }

    /// A framed tile's side: the image square plus its border on both sides.
    public var framedSize: Int { tileSize + 2 * border }
    public var lineHeight: Int { (BitmapFont.cellHeight + 2) * fontScale }
    /// The caption block under a tile (a small gap, then the lines).
    public var captionHeight: Int { captionLines == 0 ? 0 : 3 + captionLines * lineHeight }
    public var rowHeight: Int { framedSize + captionHeight }
    public func titleHeight(hasTitle: Bool) -> Int { hasTitle ? lineHeight + gap : 0 }

    public func resultRows(resultCount: Int) -> Int { (resultCount + columns - 1) / columns }

    /// The canvas size for `resultCount` results.
    public func canvasSize(resultCount: Int, hasTitle: Bool) -> (width: Int, height: Int) {
        precondition(resultCount >= 0, "result count must be >= 0")
        let width = 2 * margin + columns * framedSize + (columns - 1) * gap
        let rows = 1 + resultRows(resultCount: resultCount)
        let height = 2 * margin + titleHeight(hasTitle: hasTitle) + rows * rowHeight + (rows - 1) * gap
        return (width, height)
    }

    /// The framed tile (border included) of `slot`.
    public func frame(of slot: Slot, hasTitle: Bool) -> PixelRect {
        let (row, column): (Int, Int)
        switch slot {
        case .query: (row, column) = (0, 0)
        case .heatmap: (row, column) = (0, 1)
        case .result(let index):
            precondition(index >= 0, "result index must be >= 0")
            (row, column) = (1 + index / columns, index % columns)
        }
        return PixelRect(x: margin + column * (framedSize + gap),
                         y: margin + titleHeight(hasTitle: hasTitle) + row * (rowHeight + gap),
                         width: framedSize, height: framedSize)
    }

    /// The image square inside a frame.
    public func tile(of slot: Slot, hasTitle: Bool) -> PixelRect {
        let frame = frame(of: slot, hasTitle: hasTitle)
        return PixelRect(x: frame.x + border, y: frame.y + border, width: tileSize, height: tileSize)
    }
}
