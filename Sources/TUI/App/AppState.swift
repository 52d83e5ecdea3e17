import Services
import Basics
import Render

/// Everything the screen shows and the keys act on. Plain values only: update changes it,
/// render draws it, tests build it by hand.
public struct AppState: Sendable {
    public enum Overlay: Hashable, Sendable {
        case none, help
        case prompt(PathPrompt)
        case models(selected: Int)
        /// The open codes' health and the current query's distances to them.
        case health
    }

    public enum Pane: Hashable, Sendable { case results, browse }

    public struct Timings: Hashable, Sendable {
        public var encode: Double?
        public var search: Double?
        /// Render + terminal output of the previous frame (the runtime fills it in).
        public var draw: Double?
    }

    public struct Message: Hashable, Sendable {
        public var text: String
        public var isError: Bool
    }

    public struct HistoryEntry: Hashable, Sendable {
        public var source: QueryRequest.Source
        public var adjustments: QueryAdjustments
    }

    public var columns: Int
    public var rows: Int
    public var colorMode: ColorMode

    public var choices: [WorkspaceChoice]
    /// The choice whose workspace is open, and the one being opened.
    public var activeChoice: Int?
    public var loadingChoice: Int?
    public var loadingProgress: (done: Int, total: Int)?
    public var workspace: WorkspaceSummary?

    public var source: QueryRequest.Source?
    public var adjustments = QueryAdjustments()
    public var top = 12
    public var mode = SearchMode.exact
    public var heatmap = false
    /// `H`: the neighbours under their own attention maps.
    public var neighbourHeatmaps = false
    public var history: [HistoryEntry] = []

    public var result: QueryResult?
    /// `v`: the choice compared with the open one (same gallery) and its answer to the same request.
    public var comparisonChoice: Int?
    public var comparison: QueryResult?
    /// The generation of the latest search asked for; answers to older ones are dropped.
    public var generation = 0
    public var searching = false
    /// The highlighted neighbour (results pane) and gallery item (browse pane, in the filtered list).
    public var selection = 0
    public var browseCursor = 0
    public var browseFilter: Int?
    public var pane = Pane.results
    public var overlay = Overlay.none

    public var sweep: SweepResult?
    public var sweepPending: SweepKind?
    public var sweepGeneration = 0

    /// AP of each distinct query searched this session (keyed by query and augmentation).
    public var sessionAP: [String: Double] = [:]
    public var timings = Timings()
    public var message: Message?
    public var thumbnails: [ThumbnailKey: CellGrid] = [:]
    public var savedCount = 0
    public var quitting = false

    public init(columns: Int, rows: Int, colorMode: ColorMode, choices: [WorkspaceChoice]) {
        self.columns = columns
        self.rows = rows
        self.colorMode = colorMode
        self.choices = choices
    }

    public var layout: ScreenLayout { ScreenLayout(columns: columns, rows: rows) }

    /// The search the current query, bends and settings make.
    public var currentRequest: QueryRequest? {
        source.map { QueryRequest(source: $0, augmentation: adjustments.spec, top: top, mode: mode, heatmap: heatmap,
                                  neighbourHeatmaps: neighbourHeatmaps) }
    }

    /// The thumbnail of neighbour `item` in the results: under its attention map with `H`.
    public func neighbourThumbnail(_ item: Int, columns: Int, rows: Int) -> ThumbnailKey {
        ThumbnailKey(neighbourHeatmaps ? .itemHeatmap(item) : .item(item), columns: columns, rows: rows)
    }

    /// Mean of the session's per-query APs, and how many queries it covers.
    public var sessionMAP: (value: Double, queries: Int)? {
        sessionAP.isEmpty ? nil : (sessionAP.values.reduce(0, +) / Double(sessionAP.count), sessionAP.count)
    }

    /// Query-set positions the browse pane lists (all, or one class).
    public var browseItems: [Int] {
        guard let workspace else { return [] }
        guard let filter = browseFilter else { return Array(0..<workspace.queryCount) }
        let labels = workspace.queryLabels
        return labels.indices.filter { labels[$0].contains(filter) }
    }

    /// The browse pane's tiles: small thumbnails, as many as fit.
    public var browseTiles: TileGrid {
        let area = layout.results
        let width = columns >= 120 ? 12 : 10
        return TileGrid(area: area, thumbColumns: width, thumbRows: width / 2)
    }

    public var resultTiles: TileGrid { layout.resultTiles(count: top, split: comparisonChoice != nil) }
    public var comparisonTiles: TileGrid { layout.comparisonTiles(count: top) }

    /// Gallery items among one result's neighbours but not the other's (marked on screen).
    public var onlyInOne: Set<Int> {
        guard let result, let comparison else { return [] }
        let a = Set(result.neighbours.map(\.item)), b = Set(comparison.neighbours.map(\.item))
        return a.symmetricDifference(b)
    }

    /// The first item of the browse page holding the cursor.
    public var browsePageStart: Int {
        let capacity = max(1, browseTiles.capacity)
        return browseCursor / capacity * capacity
    }

    public var thumbnailSizes: ThumbnailSizes {
        let layout = layout, tiles = resultTiles
        return ThumbnailSizes(queryColumns: layout.queryThumbColumns, queryRows: layout.queryThumbRows,
                              neighbourColumns: tiles.thumbColumns, neighbourRows: tiles.thumbRows)
    }

    /// The thumbnails the screen shows now.
    public var visibleThumbnails: Set<ThumbnailKey> {
        var keys = Set<ThumbnailKey>()
        let sizes = thumbnailSizes
        if let result {
            let request = result.request
            keys.insert(ThumbnailKey(.queryOriginal(request), columns: sizes.queryColumns, rows: sizes.queryRows))
            if !request.augmentation.isIdentity {
                keys.insert(ThumbnailKey(.queryAugmented(request), columns: sizes.queryColumns, rows: sizes.queryRows))
            }
            if result.heatmap != nil {
                keys.insert(ThumbnailKey(.queryHeatmap(request), columns: sizes.queryColumns, rows: sizes.queryRows))
            }
        }
        switch pane {
        case .results:
            if let result {
                let tiles = resultTiles
                for neighbour in result.neighbours.prefix(tiles.capacity) {
                    keys.insert(neighbourThumbnail(neighbour.item, columns: tiles.thumbColumns, rows: tiles.thumbRows))
                }
                if comparisonChoice != nil, let comparison {
                    let lower = comparisonTiles
                    for neighbour in comparison.neighbours.prefix(lower.capacity) {
                        keys.insert(ThumbnailKey(.item(neighbour.item), columns: lower.thumbColumns, rows: lower.thumbRows))
                    }
                }
            }
        case .browse:
            let tiles = browseTiles, items = browseItems
            let start = browsePageStart
            for i in items[min(start, items.count)..<min(items.count, start + tiles.capacity)] {
                keys.insert(ThumbnailKey(.queryItem(i), columns: tiles.thumbColumns, rows: tiles.thumbRows))
            }
        }
        return keys
    }

    /// The key of a query for the session's mAP: one AP per distinct image and bend.
    static func sessionKey(_ request: QueryRequest) -> String {
        "\(request.source)|\(request.augmentation)"
    }
}
