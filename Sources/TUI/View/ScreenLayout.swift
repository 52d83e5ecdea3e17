/// A rectangle of cells.
public struct Rect: Hashable, Sendable {
    public var x: Int, y: Int, width: Int, height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }

    public func contains(column: Int, row: Int) -> Bool {
        column >= x && column < x + width && row >= y && row < y + height
    }
}

/// Thumbnails with a caption line under each, in rows, as large as the area allows for `count`.
public struct TileGrid: Hashable, Sendable {
    public let area: Rect
    public let thumbColumns: Int, thumbRows: Int
    public let perRow: Int, rowCount: Int

    /// Thumbnails are 2:1 in cells (square pictures in cells twice as tall as wide), from 24 x 12
    /// down to 6 x 3; one column and one row between tiles.
    public static func fitting(_ area: Rect, count: Int, maxThumbColumns: Int = 24) -> TileGrid {
        var best: TileGrid?
        for width in stride(from: maxThumbColumns, through: 6, by: -2) {
            let grid = TileGrid(area: area, thumbColumns: width, thumbRows: width / 2)
            if grid.capacity >= count { return grid }
            if best == nil || grid.capacity > best!.capacity { best = grid }
        }
        return best!
    }

    init(area: Rect, thumbColumns: Int, thumbRows: Int) {
        self.area = area
        self.thumbColumns = thumbColumns
        self.thumbRows = thumbRows
        perRow = max(0, (area.width + 1) / (thumbColumns + 1))
        rowCount = max(0, (area.height + 1) / (thumbRows + 2))
    }

    public var capacity: Int { perRow * rowCount }

    /// Where tile `i` draws its thumbnail; its caption is the row below.
    public func thumbnailFrame(_ i: Int) -> Rect {
        let column = i % max(1, perRow), row = i / max(1, perRow)
        return Rect(x: area.x + column * (thumbColumns + 1), y: area.y + row * (thumbRows + 2),
                    width: thumbColumns, height: thumbRows)
    }

    /// The tile under a cell, if any.
    public func tile(atColumn column: Int, row: Int) -> Int? {
        guard area.contains(column: column, row: row), perRow > 0 else { return nil }
        let c = (column - area.x) / (thumbColumns + 1), r = (row - area.y) / (thumbRows + 2)
        guard c < perRow, r < rowCount else { return nil }
        let frame = thumbnailFrame(r * perRow + c)
        // The gap column and the gap row belong to no tile.
        guard column < frame.x + frame.width, row <= frame.y + frame.height else { return nil }
        return r * perRow + c
    }
}

/// Where everything goes on a screen of a given size. Update (thumbnail sizes, clicks) and
/// render share it, so what is asked for is what is drawn.
public struct ScreenLayout: Hashable, Sendable {
    public static let minimumColumns = 80, minimumRows = 24

    public let columns: Int, rows: Int
    public let title: Rect
    public let query: Rect
    public let results: Rect
    public let status: Rect
    /// Size of each query thumbnail (original, augmented, heatmap).
    public let queryThumbColumns: Int, queryThumbRows: Int

    public init(columns: Int, rows: Int) {
        self.columns = columns
        self.rows = rows
        title = Rect(x: 0, y: 0, width: columns, height: 1)
        status = Rect(x: 0, y: rows - 2, width: columns, height: 2)
        let queryWidth = max(26, min(44, columns / 4 + 6))
        query = Rect(x: 0, y: 1, width: queryWidth, height: rows - 3)
        // Results start under their own header line.
        results = Rect(x: queryWidth + 1, y: 2, width: columns - queryWidth - 2, height: rows - 4)
        queryThumbColumns = (queryWidth - 3) / 2
        queryThumbRows = max(3, min(queryThumbColumns / 2, (rows - 12) / 3))
    }

    /// Whether the screen is large enough to draw; below it, the app says how large it must be.
    public var fits: Bool { columns >= Self.minimumColumns && rows >= Self.minimumRows }

    public func resultTiles(count: Int, split: Bool = false) -> TileGrid {
        TileGrid.fitting(split ? primaryResults : results, count: count)
    }

    /// With a comparison (`v`): the first model's results in the upper half, the second's in the
    /// lower half under their own header line.
    public var primaryResults: Rect { Rect(x: results.x, y: results.y, width: results.width, height: (results.height - 1) / 2) }
    public var comparisonResults: Rect {
        let top = primaryResults.y + primaryResults.height + 1
        return Rect(x: results.x, y: top, width: results.width, height: results.y + results.height - top)
    }
    public func comparisonTiles(count: Int) -> TileGrid { TileGrid.fitting(comparisonResults, count: count) }

    /// Query pane slots: the original at left, the augmented at right, the heatmap below the original.
    public var originalSlot: Rect { Rect(x: query.x + 1, y: query.y + 1, width: queryThumbColumns, height: queryThumbRows) }
    public var augmentedSlot: Rect {
        Rect(x: query.x + 2 + queryThumbColumns, y: query.y + 1, width: queryThumbColumns, height: queryThumbRows)
    }
    public var heatmapSlot: Rect {
        Rect(x: query.x + 1, y: query.y + 2 + queryThumbRows, width: queryThumbColumns, height: queryThumbRows)
    }
    /// Text of the query pane (label, id, augmentation, scores), under the thumbnails.
    public var queryText: Rect {
        let top = heatmapSlot.y + heatmapSlot.height + 1
        return Rect(x: query.x + 1, y: top, width: query.width - 2, height: query.y + query.height - top)
    }
}
