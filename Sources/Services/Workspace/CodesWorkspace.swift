import Foundation
import Basics
import Render
import Retrieval

/// Codes made elsewhere opened for searching: a DeepHash-pytorch save folder (`CodesFolder`)
/// beside the list files its run read. The database is trn_binary.npy, its images the gallery's
/// (database.txt); the queries are tst_binary.npy's rows, their images the query gallery's
/// (test.txt). Relevance is "shares a label" over the folder's label arrays, and a query's P@n
/// and AP are the evaluator's on that one query, the figures `metrics` gives.
///
/// Without a model nothing is encoded, so a request must be an unbent query of the list, without
/// attention maps; anything else is refused with one line saying a network is needed. With a
/// model of the folder's code length, a bent query (its list image, bent) or an image file is
/// encoded through it and ranked against the folder's database, a bent query still judged by its
/// row's labels; an unbent query keeps the folder's own code (the model, run here rather than in
/// PyTorch, may differ from it in a few bits), so its figures stay `metrics`'s.
public final class CodesWorkspace: SearchWorkspace, @unchecked Sendable {
    public let folder: CodesFolder
    public let gallery: any Gallery
    public let gallerySpec: String
    public let queryGallery: any Gallery
    /// The query gallery as given (`kind:path`).
    public let querySpec: String
    /// The network that encodes bent and image-file queries (and draws attention maps); nil for
    /// codes only.
    public let model: LoadedModel?
    private let ranker: CodeRanker
    private let tieAware: TieAwareRanking

    /// `folder`'s codes with their two galleries, whose sizes `folder.check` has matched, and
    /// a model whose code length is the folder's.
    init(folder: CodesFolder, gallery: any Gallery, gallerySpec: String, queryGallery: any Gallery, querySpec: String,
         model: LoadedModel? = nil) {
        precondition(gallery.count == folder.database.count && queryGallery.count == folder.queries.count, "one image per code")
        precondition(model.map { $0.network.bits == folder.database.bits } ?? true, "the model's code length is the folder's")
        self.folder = folder
        self.gallery = gallery
        self.gallerySpec = gallerySpec
        self.queryGallery = queryGallery
        self.querySpec = querySpec
        self.model = model
        codeItems = Array(0..<folder.database.count)
        ranker = CodeRanker(codes: folder.database)
        tieAware = TieAwareRanking(count: folder.database.count)
    }

    /// Reads the save folder and opens the two galleries, their relative image paths under
    /// `imageRoot` when given (list files only), and the model file at `modelPath` when given.
    /// A missing file, a bad array, a list whose row count is not its codes', or a model whose
    /// code length is not the folder's is one line naming the file (both files for the last).
    public static func open(folder path: String, gallerySpec: String, querySpec: String,
                            imageRoot: String? = nil, modelPath: String? = nil) throws(ServiceError) -> CodesWorkspace {
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
        let model = try modelPath.map { modelPath throws(ServiceError) in try LoadedModel(path: modelPath) }
        if let model, model.network.bits != folder.database.bits {
            let codes = (path as NSString).appendingPathComponent(CodesFolder.files.databaseCodes)
            throw ServiceError("\(model.path) makes \(model.network.bits)-bit codes, but \(codes) holds \(folder.database.bits)-bit codes")
        }
        return CodesWorkspace(folder: folder, gallery: database, gallerySpec: gallerySpec, queryGallery: queries, querySpec: querySpec,
                              model: model)
    }

    public var queriesAreGallery: Bool { false }
    public var codes: BinaryCodes { folder.database }
    /// Code c is database item c: a save folder has one row per list line.
    public let codeItems: [Int]
    public var bits: Int { folder.database.bits }
    public var fromCache: Bool { true }
    public var loadedModel: LoadedModel? { model }
    /// The folder, with or without a model: the database codes are always its.
    public var origin: String { folder.folder }

    /// What `request` asks that only a network can do, as one line; nil when the codes suffice
    /// or a model is there to encode.
    public func needsNetwork(_ request: QueryRequest) -> String? {
        guard model == nil else { return nil }
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

    /// The query code a request searches with, its pictures and row: the folder's code for an
    /// unbent list query, the model's code of the bent image or of the file otherwise.
    private struct SearchQuery {
        let code: BinaryCodes
        /// The tst row whose labels judge the result; nil for an image file.
        let row: Int?
        let original: RGBImage
        let augmented: RGBImage
        let heatmap: AttentionMap?
        let encodeMilliseconds: Double
        let imageProblem: String?
    }

    private func searchQuery(for request: QueryRequest) throws(ServiceError) -> SearchQuery {
        switch request.source {
        case .file(let path):
            // needsNetwork has refused a file without a model.
            guard let model else { throw ServiceError("an image file as the query needs a network: \(folder.folder) has codes only") }
            let image: RGBImage
            do { image = try ImageDecoder.decode(file: path) } catch { throw ServiceError(error.localizedDescription) }
            let encoded = try QueryEncoding(image, augmentation: request.augmentation, model: model, attention: request.heatmap)
            return SearchQuery(code: encoded.code, row: nil, original: image, augmented: encoded.augmented, heatmap: encoded.heatmap,
                         encodeMilliseconds: encoded.milliseconds, imageProblem: nil)
        case .item(let q):
            guard (0..<folder.queries.count).contains(q) else {
                throw ServiceError("\(querySpec): no query \(request.source) among its \(folder.queries.count) images")
            }
            let bent = !request.augmentation.isIdentity
            let image: RGBImage
            do { image = try queryGallery.image(at: q) } catch {
                let problem = (error as? LocalizedError)?.errorDescription ?? "\(error)"
                // A bend needs the pixels; the folder's own code does not, so an unbent query
                // searches with a grey placeholder shown.
                if bent || request.heatmap { throw ServiceError(problem) }
                return SearchQuery(code: folder.queries.subset([q]), row: q, original: Self.placeholder, augmented: Self.placeholder,
                             heatmap: nil, encodeMilliseconds: 0, imageProblem: problem)
            }
            guard let model, bent || request.heatmap else {
                return SearchQuery(code: folder.queries.subset([q]), row: q, original: image, augmented: image, heatmap: nil,
                             encodeMilliseconds: 0, imageProblem: nil)
            }
            let encoded = try QueryEncoding(image, augmentation: request.augmentation, model: model, attention: request.heatmap)
            // Unbent, the model ran for the attention map only: the folder's code is the query.
            return SearchQuery(code: bent ? encoded.code : folder.queries.subset([q]), row: q, original: image, augmented: encoded.augmented,
                         heatmap: encoded.heatmap, encodeMilliseconds: encoded.milliseconds, imageProblem: nil)
        }
    }

    private static let placeholder = RGBImage(width: 8, height: 8, color: RGBColor(r: 96, g: 96, b: 96))

    public func search(_ request: QueryRequest) throws(ServiceError) -> QueryResult {
        if let refusal = needsNetwork(request) { throw ServiceError(refusal) }
        precondition(request.top >= 1, "top \(request.top)")
        let query = try searchQuery(for: request)

        let start = DispatchTime.now()
        let (ranked, withinRadius) = ranker.rank(query.code, mode: request.mode, top: request.top, excluding: nil)
        let ranking = NeighbourRanking(ranked, query: query.code, codes: folder.database, excluding: nil,
                                       isRelevant: query.row.map { q in { self.folder.relevance.isRelevant(query: q, database: $0) } })
        let neighbours = ranking.neighbours.map {
            QueryResult.Neighbour(item: $0.code, distance: $0.distance, relevant: $0.relevant,
                                  tieGroupSize: $0.tieGroupSize, tieRank: $0.tieRank)
        }
        var precision: Double?, averagePrecision: Double?
        if let q = query.row {
            let figures = folder.figures(of: query.code, labelledAs: q, top: request.top)
            // The exact ranking's P@n is the evaluator's; another mode's is that of what it returned.
            precision = request.mode == .exact
                ? figures.precision : Double(neighbours.filter { $0.relevant == true }.count) / Double(request.top)
            averagePrecision = figures.averagePrecision
        }
        let searchMilliseconds = Workspace.milliseconds(since: start)

        var result = QueryResult(request: request, original: query.original, augmented: query.augmented,
                                 queryLabels: query.row.map { queryGallery.items[$0].labels }, neighbours: neighbours,
                                 withinRadius: withinRadius, precision: precision, averagePrecision: averagePrecision,
                                 heatmap: query.heatmap, encodeMilliseconds: query.encodeMilliseconds,
                                 searchMilliseconds: searchMilliseconds)
        result.distanceGroups = ranking.groups
        if let tied = ranking.tieAware(top: request.top, ranking: tieAware, labelled: query.row != nil) {
            result.tieAwarePrecision = tied.precision
            result.tieAwareAveragePrecision = tied.averagePrecision
        }
        result.imageProblem = query.imageProblem
        return result
    }
}
