import Foundation
import Networks
import Basics
import Render
import Retrieval

/// A model and a gallery opened together: the gallery's codes (from the code cache or encoded
/// now) and the indexes over them. Everything a query needs, off the UI thread: `search` encodes
/// the (augmented) query, ranks the database and scores the result against the labels.
///
/// Immutable after `open` (the ranker builds its LSH tables under a lock), so one workspace may
/// serve several threads.
public final class Workspace: SearchWorkspace, @unchecked Sendable {
    public let model: LoadedModel
    public var loadedModel: LoadedModel? { model }
    public let gallery: any Gallery
    /// The gallery as given on the command line (`kind:path`).
    public let gallerySpec: String
    /// One code per readable gallery item; `codeItems[c]` is code c's gallery position.
    public let codes: BinaryCodes
    public let codeItems: [Int]
    /// Whether the codes came from the code cache.
    public let fromCache: Bool
    private let codeOfItem: [Int: Int]
    /// Each code's class when the gallery is single-label (relevance is then one comparison,
    /// which keeps a query's AP over 60,000 codes in about a millisecond); nil for multi-label.
    private let codeClasses: [Int32]?
    private let ranker: CodeRanker
    private let tieAware: TieAwareRanking

    public init(model: LoadedModel, gallery: any Gallery, gallerySpec: String, codes: BinaryCodes, codeItems: [Int], fromCache: Bool) {
        precondition(codes.count == codeItems.count, "one gallery item per code")
        self.model = model
        self.gallery = gallery
        self.gallerySpec = gallerySpec
        self.codes = codes
        self.codeItems = codeItems
        self.fromCache = fromCache
        codeOfItem = Dictionary(uniqueKeysWithValues: codeItems.enumerated().map { ($1, $0) })
        let items = gallery.items
        codeClasses = gallery.isMultiLabel ? nil : codeItems.map { Int32(items[$0].labels.first ?? -1) }
        ranker = CodeRanker(codes: codes)
        tieAware = TieAwareRanking(count: codes.count)
    }

    /// Opens `modelPath` and `gallerySpec` and gets the gallery's codes: from `indexPath` (an
    /// index file `hashscope index` or `search` wrote with this model), else from `cacheFolder`
    /// when they are there, else encoded. `progress(done, total)` reports encoding.
    public static func open(modelPath: String, gallerySpec: String, indexPath: String? = nil, cacheFolder: String?, threads: Int,
                            note: (String) -> Void = { _ in }, progress: ((Int, Int) -> Void)? = nil) throws(ServiceError) -> Workspace {
        let model = try LoadedModel(path: modelPath)
        let gallery: any Gallery
        do { gallery = try GalleryOpener.open(gallerySpec) } catch { throw ServiceError(error.localizedDescription) }
        guard gallery.count > 0 else { throw ServiceError("\(gallerySpec): the gallery is empty") }
        if let indexPath {
            let (codes, items) = try indexedCodes(indexPath, model: model, gallery: gallery)
            return Workspace(model: model, gallery: gallery, gallerySpec: gallerySpec, codes: codes, codeItems: items, fromCache: true)
        }
        let encoded = try GalleryCodes.load(model: model, gallery: gallery, cacheFolder: cacheFolder, threads: threads,
                                            note: note, progress: progress)
        return Workspace(model: model, gallery: gallery, gallerySpec: gallerySpec, codes: encoded.codes,
                         codeItems: encoded.indices, fromCache: encoded.cached)
    }

    public var bits: Int { model.network.bits }
    public var queryGallery: any Gallery { gallery }
    public var queriesAreGallery: Bool { true }
    public var origin: String { model.path }

    /// An index file's codes, in the gallery's terms: refused when another model made them (the
    /// fingerprint) or when its items are not this gallery's.
    private static func indexedCodes(_ path: String, model: LoadedModel, gallery: any Gallery) throws(ServiceError) -> (BinaryCodes, [Int]) {
        let index: HashIndex
        do { index = try CodeFileLoader.load(path).index } catch { throw ServiceError(error.localizedDescription) }
        let items = try IndexedCodes.match(index, path: path, fingerprint: model.fingerprint, bits: model.network.bits,
                                           gallery: gallery, modelName: model.path)
        return (index.codes, items)
    }

    /// The image a request starts from, before augmentation.
    public func image(for source: QueryRequest.Source) throws(ServiceError) -> RGBImage {
        switch source {
        case .item(let i):
            guard gallery.items.indices.contains(i) else { throw ServiceError("\(gallerySpec): no item \(i)") }
            do { return try gallery.image(at: i) } catch { throw ServiceError(error.localizedDescription) }
        case .file(let path):
            do { return try ImageDecoder.decode(file: path) } catch { throw ServiceError(error.localizedDescription) }
        }
    }

    /// Encodes, searches and scores one request.
    public func search(_ request: QueryRequest) throws(ServiceError) -> QueryResult {
        let original = try image(for: request.source)
        let encoding = try QueryEncoding(original, augmentation: request.augmentation, model: model, attention: request.heatmap)
        let query = encoding.code

        let searchStart = DispatchTime.now()
        var queryLabels: [Int]?
        var selfCode: Int?
        if case .item(let i) = request.source {
            queryLabels = gallery.items[i].labels
            selfCode = codeOfItem[i]
        }
        let labelSet = queryLabels.map(Set.init)
        func relevant(_ code: Int) -> Bool? {
            labelSet.map { !$0.isDisjoint(with: gallery.items[codeItems[code]].labels) }
        }
        let (ranked, withinRadius) = ranker.rank(query, mode: request.mode, top: request.top, excluding: selfCode)
        let ranking = NeighbourRanking(ranked, query: query, codes: codes, excluding: selfCode,
                                       isRelevant: labelSet.map { _ in { relevant($0) == true } })
        let neighbours = ranking.neighbours.map {
            QueryResult.Neighbour(item: codeItems[$0.code], distance: $0.distance, relevant: $0.relevant,
                                  tieGroupSize: $0.tieGroupSize, tieRank: $0.tieRank)
        }
        var averagePrecision: Double?
        if let labelSet {
            let ranking = HammingRanking(query: query, 0, database: codes)
            if let codeClasses, labelSet.count == 1, let only = labelSet.first {
                let queryClass = Int32(only)
                averagePrecision = codeClasses.withUnsafeBufferPointer { classes in
                    ranking.averagePrecision(excluding: selfCode) { classes[$0] == queryClass }
                }
            } else {
                averagePrecision = ranking.averagePrecision(excluding: selfCode) { relevant($0) == true }
            }
        }
        let searchMilliseconds = Self.milliseconds(since: searchStart)
        let precision = labelSet.map { _ in
            Double(neighbours.filter { $0.relevant == true }.count) / Double(max(1, request.top))
        }
        var result = QueryResult(request: request, original: original, augmented: encoding.augmented, queryLabels: queryLabels,
                                 neighbours: neighbours, withinRadius: withinRadius, precision: precision,
                                 averagePrecision: averagePrecision, heatmap: encoding.heatmap,
                                 encodeMilliseconds: encoding.milliseconds, searchMilliseconds: searchMilliseconds)
        result.distanceGroups = ranking.groups
        if let figures = ranking.tieAware(top: request.top, ranking: tieAware, labelled: labelSet != nil) {
            result.tieAwarePrecision = figures.precision
            result.tieAwareAveragePrecision = figures.averagePrecision
        }
        return result
    }

    static func milliseconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
    }
}
