import Retrieval

/// What the explorer searches, whatever made the codes: a database of codes with its images, a
/// query set, and `search`, which turns a request into a ranked and scored result. Two kinds
/// exist: `Workspace` (a model and a gallery: the queries are the gallery's own items or image
/// files, bent at will, and the network gives attention maps) and `CodesWorkspace` (codes made
/// elsewhere, a DeepHash-pytorch save folder: the queries are its query codes; without a
/// network nothing is encoded, and with one only bent and image-file queries are). The explorer
/// asks `loadedModel` whether a network is there and `origin` whether it made the codes, and
/// nothing else about which kind it holds.
public protocol SearchWorkspace: AnyObject, Sendable {
    /// The database's images: code c is item `codeItems[c]`.
    var gallery: any Gallery { get }
    /// The database gallery as given (`kind:path`).
    var gallerySpec: String { get }
    /// The queries a request's `.item(i)` picks from: the gallery itself for a model, the query
    /// list for a codes folder.
    var queryGallery: any Gallery { get }
    /// Whether the queries are the gallery's own items, so a neighbour can become the query.
    var queriesAreGallery: Bool { get }
    var codes: BinaryCodes { get }
    var codeItems: [Int] { get }
    var bits: Int { get }
    /// Whether the codes were read rather than encoded now.
    var fromCache: Bool { get }
    /// The network that encodes queries: the one that made the codes, or for codes made
    /// elsewhere the one given to encode bent and image-file queries, or nil. Without it no
    /// image is encoded, so there are no bends, no image-file queries and no attention maps.
    var loadedModel: LoadedModel? { get }
    /// What made the codes, as the user named it: the model file or the codes folder (also
    /// when a model is there to encode bent queries: then `origin` is not `loadedModel`'s path).
    var origin: String { get }

    /// Ranks the database for `request` and scores the result against the labels.
    func search(_ request: QueryRequest) throws(ServiceError) -> QueryResult
}
