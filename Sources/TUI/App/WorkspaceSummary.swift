import Retrieval

/// What the screen needs to know about the open model and gallery (names, sizes, labels), so
/// the state never holds the workspace itself.
public struct WorkspaceSummary: Hashable, Sendable {
    /// A query set apart from the gallery (a codes folder's query list).
    public struct QuerySet: Hashable, Sendable {
        public var name: String
        public var ids: [String]
        public var labels: [[Int]]

        public init(name: String, ids: [String], labels: [[Int]]) {
            self.name = name
            self.ids = ids
            self.labels = labels
        }
    }

    public var modelName: String
    public var arch: String
    public var bits: Int
    public var hasAttention: Bool
    public var galleryName: String
    public var classNames: [String]
    /// Per gallery item: its id and labels.
    public var itemIDs: [String]
    public var itemLabels: [[Int]]
    /// How many items have codes (unreadable images have none).
    public var encodedCount: Int
    public var fromCache: Bool
    /// The codes' bit balance, correlation and identical-code groups (the `i` panel).
    public var health: CodeHealth?
    /// False for codes made elsewhere: nothing can be encoded (no bends, files, heatmaps, models).
    public var hasNetwork = true
    /// The folder the codes were read from when the model only encodes bent and image-file
    /// queries (codes made elsewhere, bends by the model); nil when the model made the codes or
    /// there is none.
    public var codesFolder: String?
    /// The queries when they are not the gallery's own items; nil when they are.
    public var separateQueries: QuerySet?

    public init(modelName: String, arch: String, bits: Int, hasAttention: Bool, galleryName: String, classNames: [String],
                itemIDs: [String], itemLabels: [[Int]], encodedCount: Int, fromCache: Bool, health: CodeHealth? = nil) {
        self.modelName = modelName
        self.arch = arch
        self.bits = bits
        self.hasAttention = hasAttention
        self.galleryName = galleryName
        self.classNames = classNames
        self.itemIDs = itemIDs
        self.itemLabels = itemLabels
        self.encodedCount = encodedCount
        self.fromCache = fromCache
        self.health = health
    }

    public var count: Int { itemIDs.count }

    /// The items a query is picked from (the browse pane, `.item(i)` sources).
    public var queryIDs: [String] { separateQueries?.ids ?? itemIDs }
    public var queryLabels: [[Int]] { separateQueries?.labels ?? itemLabels }
    public var queryCount: Int { queryIDs.count }
    /// The list the queries come from: the gallery's name, or the query list's.
    public var queryListName: String { separateQueries?.name ?? galleryName }

    /// "cat", "cat+dog", or "-" without labels.
    public func labelText(_ labels: [Int]) -> String { GalleryLabels.text(labels, classNames: classNames) }
}
