import Retrieval

/// What the screen needs to know about the open model and gallery (names, sizes, labels), so
/// the state never holds the workspace itself.
public struct WorkspaceSummary: Hashable, Sendable {
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

    /// "cat", "cat+dog", or "-" without labels.
    public func labelText(_ labels: [Int]) -> String { GalleryLabels.text(labels, classNames: classNames) }
}

/// A model and gallery pair the user can switch to (`M`).
public struct WorkspaceChoice: Hashable, Sendable {
    public var modelPath: String
    public var gallerySpec: String
    /// An index file with the gallery's codes by this model, instead of encoding it.
    public var indexPath: String?

    public init(modelPath: String, gallerySpec: String, indexPath: String? = nil) {
        self.modelPath = modelPath
        self.gallerySpec = gallerySpec
        self.indexPath = indexPath
    }
}
