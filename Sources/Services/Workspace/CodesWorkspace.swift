import Foundation
import Basics
import Render
import Retrieval

/// Codes made elsewhere opened for searching, with no network: a DeepHash-pytorch save folder
/// (`CodesFolder`) beside the list files its run read. The database is trn_binary.npy, its
/// images the gallery's (database.txt); the queries are tst_binary.npy's rows, their images the
/// query gallery's (test.txt). Relevance is "shares a label" over the folder's label arrays, and
/// a query's P@n and AP are the evaluator's on that one query, the figures `metrics` gives.
///
/// Nothing is encoded, so a request must be an unbent query of the list, without attention
/// maps; anything else is refused with one line saying a network is needed.
public final class CodesWorkspace: SearchWorkspace, @unchecked Sendable {
    public let folder: CodesFolder
    public let gallery: any Gallery
    public let gallerySpec: String
    public let queryGallery: any Gallery
    /// The query gallery as given (`kind:path`).
    public let querySpec: String
    private let ranker: CodeRanker
    private let tieAware: TieAwareRanking

    /// `folder`'s codes with their two galleries, whose sizes `folder.check` has matched.
    init(folder: CodesFolder, gallery: any Gallery, gallerySpec: String, queryGallery: any Gallery, querySpec: String) {
        precondition(gallery.count == folder.database.count && queryGallery.count == folder.queries.count, "one image per code")
        self.folder = folder
        self.gallery = gallery
        self.gallerySpec = gallerySpec
        self.queryGallery = queryGallery
        self.querySpec = querySpec
        codeItems = Array(0..<folder.database.count)
        ranker = CodeRanker(codes: folder.database)
        tieAware = TieAwareRanking(count: folder.database.count)
    }

    /// Reads the save folder and opens the two galleries, their relative image paths under
    /// `imageRoot` when given (list files only). A missing file, a bad array, or a list whose
    /// row count is not its codes' is one line naming the file.
    public static func open(folder path: String, gallerySpec: String, querySpec: String,
                            imageRoot: String? = nil) throws(ServiceError) -> CodesWorkspace {
        let folder = try CodesFolder(folder: path)
        func gallery(_ spec: String) throws(ServiceError) -> any Gallery {
            let opened: any Gallery
            do { opened = try GalleryOpener.open(spec) } catch { throw ServiceError(error.localizedDescription) }
            guard let imageRoot else { return opened }
            return try ImageRootGallery(opened, root: imageRoot)
        }
        let database = try gallery(gallerySpec), queries = try gallery(querySpec)
        try folder.check(queries: queries, database: database)
        guard folder.queries.count > 0, folder.database.count > 0 else {
            throw ServiceError("\(path): no codes (\(folder.queries.count) queries, \(folder.database.count) database codes)")
        }
        return CodesWorkspace(folder: folder, gallery: database, gallerySpec: gallerySpec, queryGallery: queries, querySpec: querySpec)
    }

    public var queriesAreGallery: Bool { false }
    public var codes: BinaryCodes { folder.database }
    /// Code c is database item c: a save folder has one row per list line.
    public let codeItems: [Int]
    public var bits: Int { folder.database.bits }
    public var fromCache: Bool { true }
    public var loadedModel: LoadedModel? { nil }
    public var origin: String { folder.folder }

    /// What `request` asks that only a network can do, as one line; nil when the codes suffice.
    public func needsNetwork(_ request: QueryRequest) -> String? {
        let why: String
        if case .file = request.source {
            why = "an image file as the query"
        } else if !request.augmentation.isIdentity {
            why = "a bent query (\(request.augmentation))"
        } else if request.heatmap || request.neighbourHeatmaps {
            why = "an attention map"
        } else {
            return nil
        }
        return "\(why) needs a network: \(folder.folder) has codes only"
    }

    public func search(_ request: QueryRequest) throws(ServiceError) -> QueryResult {
        if let refusal = needsNetwork(request) { throw ServiceError(refusal) }
        guard case .item(let q) = request.source, (0..<folder.queries.count).contains(q) else {
            throw ServiceError("\(querySpec): no query \(request.source) among its \(folder.queries.count) images")
        }
        precondition(request.top >= 1, "top \(request.top)")
        // The pixels are only shown: an unreadable query image leaves the search as it is.
        var imageProblem: String?
        let original: RGBImage
        do { original = try queryGallery.image(at: q) } catch {
            imageProblem = (error as? LocalizedError)?.errorDescription ?? "\(error)"
            original = RGBImage(width: 8, height: 8, color: RGBColor(r: 96, g: 96, b: 96))
        }

        let start = DispatchTime.now()
        let query = folder.queries.subset([q])
        let (ranked, withinRadius) = ranker.rank(query, mode: request.mode, top: request.top, excluding: nil)
        let ranking = NeighbourRanking(ranked, query: query, codes: folder.database, excluding: nil) {
            self.folder.relevance.isRelevant(query: q, database: $0)
        }
        let neighbours = ranking.neighbours.map {
            QueryResult.Neighbour(item: $0.code, distance: $0.distance, relevant: $0.relevant,
                                  tieGroupSize: $0.tieGroupSize, tieRank: $0.tieRank)
        }
        let figures = folder.figures(query: q, top: request.top)
        // The exact ranking's P@n is the evaluator's; another mode's is that of what it returned.
        let precision = request.mode == .exact
            ? figures.precision : Double(neighbours.filter { $0.relevant == true }.count) / Double(request.top)
        let searchMilliseconds = Workspace.milliseconds(since: start)

        var result = QueryResult(request: request, original: original, augmented: original,
                                 queryLabels: queryGallery.items[q].labels, neighbours: neighbours, withinRadius: withinRadius,
                                 precision: precision, averagePrecision: figures.averagePrecision, heatmap: nil,
                                 encodeMilliseconds: 0, searchMilliseconds: searchMilliseconds)
        result.distanceGroups = ranking.groups
        if let tied = ranking.tieAware(top: request.top, ranking: tieAware, labelled: true) {
            result.tieAwarePrecision = tied.precision
            result.tieAwareAveragePrecision = tied.averagePrecision
        }
        result.imageProblem = imageProblem
        return result
    }
}
