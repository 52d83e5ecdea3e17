import Foundation
import Networks
import Basics
import Render
import Retrieval

/// A model and a gallery opened together: the gallery's codes (from the code cache or encoded
/// now) and the indexes over them. Everything a query needs, off the UI thread: `search` encodes
/// the (augmented) query, ranks the database and scores the result against the labels.
///
/// Immutable after `open` except the LSH tables, built on first use under a lock, so one
/// workspace may serve several threads.
public final class Workspace: @unchecked Sendable {
    public let model: LoadedModel
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
    private let flat: BinaryFlatIndex
    private let tieAware: TieAwareRanking
    private let lshLock = NSLock()
    private var lshIndex: LSHIndex?

    /// LSH over the codes: tables of 12 hyperplanes each, probed in 16 buckets per table, a
    /// trade-off that keeps recall high for 16-256-bit codes at gallery sizes the TUI opens.
    static let lshTables = 4, lshBitsPerTable = 12, lshProbes = 16

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
        flat = BinaryFlatIndex(codes: codes)
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
        let augmented: RGBImage
        do { augmented = try request.augmentation.apply(to: original) } catch { throw ServiceError(error.localizedDescription) }

        let encodeStart = DispatchTime.now()
        let encoding = model.network.encodeWithAttention(augmented, preprocessor: model.preprocessor, attention: request.heatmap)
        let query = model.network.binaryCodes(encoding.codes)
        let encodeMilliseconds = Self.milliseconds(since: encodeStart)

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
        let (ranked, withinRadius) = rank(query, mode: request.mode, top: request.top, excluding: selfCode)
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
        var result = QueryResult(request: request, original: original, augmented: augmented, queryLabels: queryLabels,
                                 neighbours: neighbours, withinRadius: withinRadius, precision: precision,
                                 averagePrecision: averagePrecision, heatmap: encoding.map,
                                 encodeMilliseconds: encodeMilliseconds, searchMilliseconds: searchMilliseconds)
        result.distanceGroups = ranking.groups
        if let figures = ranking.tieAware(top: request.top, ranking: tieAware, labelled: labelSet != nil) {
            result.tieAwarePrecision = figures.precision
            result.tieAwareAveragePrecision = figures.averagePrecision
        }
        return result
    }

    /// The top `top` codes for `query` (code positions and distances, nearest first, ties by
    /// position), leaving out `excluded`; with the radius mode also how many lie within it.
    private func rank(_ query: BinaryCodes, mode: SearchMode, top: Int, excluding excluded: Int?) -> ([HammingNeighbour], Int?) {
        let wanted = min(codes.count, top + (excluded == nil ? 0 : 1))
        guard wanted > 0 else { return ([], nil) }
        switch mode {
        case .exact:
            return (NeighbourRanking.exact(query, index: flat, top: top, excluding: excluded), nil)
        case .radius(let r):
            let found = flat.rangeSearch(query, radius: r, threads: 1)[0].filter { $0.index != excluded }
                .sorted { ($0.distance, $0.index) < ($1.distance, $1.index) }
            return (Array(found.prefix(top)), found.count)
        case .lsh:
            let index = lsh()
            let features = FeatureMatrix(rows: 1, dimension: bits, values: Self.signs(query, 0))
            // Cosine of ±1 vectors is 1 - 2 d / bits: report the Hamming distance it stands for.
            guard let found = try? index.search(features, k: wanted, probes: Self.lshProbes).neighbours(ofQuery: 0) else { return ([], nil) }
            let neighbours = found.filter { $0.index >= 0 && $0.index != excluded }.prefix(top).map {
                HammingNeighbour(index: $0.index, distance: codes.distance($0.index, to: query, 0))
            }
            return (Array(neighbours), nil)
        }
    }

    /// The LSH tables, built once.
    private func lsh() -> LSHIndex {
        lshLock.lock()
        defer { lshLock.unlock() }
        if let lshIndex { return lshIndex }
        var values = [Float]()
        values.reserveCapacity(codes.count * bits)
        for c in 0..<codes.count { values += Self.signs(codes, c) }
        // The sizes are in range and the features are finite, so building cannot fail.
        var index = try! LSHIndex(dimension: bits, bitsPerTable: Self.lshBitsPerTable, tables: Self.lshTables, seed: 0)
        try! index.add(FeatureMatrix(rows: codes.count, dimension: bits, values: values))
        lshIndex = index
        return index
    }

    private static func signs(_ codes: BinaryCodes, _ c: Int) -> [Float] {
        (0..<codes.bits).map { codes.bit($0, ofCode: c) ? 1 : -1 }
    }

    static func milliseconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
    }
}
