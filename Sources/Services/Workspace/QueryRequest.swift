import Basics
import Render
import Retrieval

/// One search the TUI asks for: which image, bent how, how many neighbours, ranked how.
public struct QueryRequest: Hashable, Sendable {
    public enum Source: Hashable, Sendable {
        /// An item of the workspace's query set by position: a gallery item for a model (left
        /// out of its own results), a row of the query codes for a codes folder.
        case item(Int)
        /// An image file opened with `o`.
        case file(String)
    }

    public var source: Source
    public var augmentation: AugmentationSpec
    public var top: Int
    public var mode: SearchMode
    /// Whether to compute the query's attention map.
    public var heatmap: Bool
    /// Whether the neighbours are shown under their own attention maps (each computed once).
    public var neighbourHeatmaps: Bool

    public init(source: Source, augmentation: AugmentationSpec = .identity, top: Int = 12, mode: SearchMode = .exact,
                heatmap: Bool = false, neighbourHeatmaps: Bool = false) {
        self.source = source
        self.augmentation = augmentation
        self.top = top
        self.mode = mode
        self.heatmap = heatmap
        self.neighbourHeatmaps = neighbourHeatmaps
    }
}

/// What a search found, with everything the screen shows about it.
public struct QueryResult: Sendable {
    public struct Neighbour: Hashable, Sendable {
        /// Position in the gallery.
        public let item: Int
        public let distance: Int
        /// Whether it shares a label with the query; nil when the query has no label (a file).
        public let relevant: Bool?
        /// How many database items share this distance to the query (the tie group), and this
        /// neighbour's place among them in the ranking (1-based; ties go by gallery order).
        public var tieGroupSize: Int = 1
        public var tieRank: Int = 1

        public init(item: Int, distance: Int, relevant: Bool?, tieGroupSize: Int = 1, tieRank: Int = 1) {
            self.item = item
            self.distance = distance
            self.relevant = relevant
            self.tieGroupSize = tieGroupSize
            self.tieRank = tieRank
        }
    }

    public let request: QueryRequest
    /// The image as opened, and as augmented (equal when the augmentation is the identity).
    public let original: RGBImage
    public let augmented: RGBImage
    /// The query's labels when it is a gallery item.
    public let queryLabels: [Int]?
    public let neighbours: [Neighbour]
    /// Items within the radius (radius mode only), of which `neighbours` shows the nearest.
    public let withinRadius: Int?
    /// relevant / n among the shown neighbours (P@n); nil without query labels.
    public let precision: Double?
    /// This query's AP over the whole database ranking (mAP@all's per-query term); nil without labels.
    public let averagePrecision: Double?
    /// P@n and AP as expectations over every order of the tied items (`TieAwareRanking`): what
    /// the model decides, whatever the gallery's order; nil without labels.
    public var tieAwarePrecision: Double? = nil
    public var tieAwareAveragePrecision: Double? = nil
    /// Per Hamming distance 0...bits: how many database codes lie there, and how many of them
    /// are relevant (0 without query labels); the query's own code left out.
    public var distanceGroups: [TieAwareRanking.Group] = []
    /// The attention map of the augmented query, when asked for and the network has one.
    public let heatmap: AttentionMap?
    /// Why the query's picture could not be read, when the search ran without it (codes made
    /// elsewhere need no pixels: `original` is then a grey placeholder).
    public var imageProblem: String? = nil
    /// 0 when nothing was encoded (codes made elsewhere).
    public let encodeMilliseconds: Double
    public let searchMilliseconds: Double
}
