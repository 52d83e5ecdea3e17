import Foundation
import Networks
import Retrieval

/// Encodes a protocol's queries and database with a network (or takes the codes from the
/// cache) and scores them with Retrieval's evaluator: what `train` measures at its end and
/// what `eval` reports.
public struct CodeEvaluation: Sendable {
    public let metrics: RetrievalMetrics
    /// Images encoded per second; nil when every code came from the cache.
    public let imagesPerSecond: Double?
    public let cached: Bool
    public let skipped: [SkippedImage]

    /// Relaxed codes of items: (indices, progress(done, of)) -> the encoder's result.
    public typealias Encode = ([Int], (Int, Int) -> Void) -> NetworkEncoder.Result

    /// Encodes images end to end (a backbone head's network with its backbone attached).
    public static func run(network: HashingNetwork, preprocessor: ImagePreprocessor, data: ProtocolData,
                    cache: CodeCache? = nil, threads: Int = 2,
                    note: (String) -> Void = { _ in }, progress: ((Int, Int) -> Void)? = nil) throws -> CodeEvaluation {
        try run(network: network, data: data, cache: cache, threads: threads, note: note, progress: progress) { indices, progress in
            NetworkEncoder.encode(network, indices: indices, preprocessor: preprocessor, threads: threads,
                                  load: data.imageSource, progress: progress)
        }
    }

    /// `encode` makes the codes (images, or a backbone's cached features through a head);
    /// `network` is the model they belong to (fingerprint, bits). `cache`: where to look for
    /// and keep codes (nil: always encode, keep nothing). `progress(done, total)` counts items
    /// over queries and database.
    public static func run(network: HashingNetwork, data: ProtocolData, cache: CodeCache? = nil, threads: Int = 2,
                    note: (String) -> Void = { _ in }, progress: ((Int, Int) -> Void)? = nil,
                    encode: Encode) throws -> CodeEvaluation {
        let total = data.split.query.count + data.split.database.count
        var encodedSoFar = 0, encodeSeconds = 0.0, encodedImages = 0, allCached = true
        var skipped: [SkippedImage] = []

        func codes(_ side: CodeCache.Selection.Side) -> (BinaryCodes?, [Int]) {
            let base = encodedSoFar
            let found = sideCodes(side, network: network, data: data, cache: cache, note: note) { indices in
                encode(indices) { done, _ in progress?(base + done, total) }
            }
            encodedSoFar += side == .query ? data.split.query.count : data.split.database.count
            if let result = found.encoded {
                allCached = false
                encodeSeconds += result.seconds
                encodedImages += result.indices.count
                skipped += result.skipped
            }
            return (found.codes, found.items)
        }

        let (queryCodes, queryIndices) = codes(.query)
        let (databaseCodes, databaseIndices) = codes(.database)
        guard let queryCodes, let databaseCodes else {
            throw ServiceError("\(data.spec): no readable \(queryCodes == nil ? "query" : "database") images under \(data.split.name)")
        }
        let relevance = try Relevance(query: data.labelSet(queryIndices), database: data.labelSet(databaseIndices))
        let metrics = RetrievalEvaluator.evaluate(queries: queryCodes, database: databaseCodes, relevance: relevance,
                                                  topK: data.split.topK, cutoffs: data.split.cutoffs, threads: threads)
        return CodeEvaluation(metrics: metrics,
                              imagesPerSecond: allCached ? nil : (encodeSeconds > 0 ? Double(encodedImages) / encodeSeconds : 0),
                              cached: allCached, skipped: skipped)
    }

    /// One side's codes of a protocol split and the gallery position of each: from `cache` when
    /// it holds them, else made by `encode` (and cached when no image was skipped). `codes` is
    /// nil when no image of that side could be read.
    public struct SideCodes {
        public let codes: BinaryCodes?
        public let items: [Int]
        /// What the encoder did; nil when the codes came from the cache.
        public let encoded: NetworkEncoder.Result?
    }

    public static func sideCodes(_ side: CodeCache.Selection.Side, network: HashingNetwork, data: ProtocolData, cache: CodeCache?,
                                 note: (String) -> Void, encode: ([Int]) -> NetworkEncoder.Result) -> SideCodes {
        let fingerprint = ModelFingerprint.sha256(of: network)
        let expected = side == .query ? data.split.query : data.split.database
        let path = cache?.path(fingerprint: fingerprint, gallerySpec: data.gallery.spec,
                               selection: .split(protocolName: data.split.name, seed: data.split.seed, side: side))
        if let cache, let path {
            switch cache.read(path, fingerprint: fingerprint, bits: network.bits, gallery: data.gallery, allowed: expected) {
            case .hit(let codes, let items): return SideCodes(codes: codes, items: items, encoded: nil)
            case .unusable(let why): note("ignoring the cached codes (\(why)); encoding again")
            case .miss: break
            }
        }
        let result = encode(expected)
        guard !result.indices.isEmpty else { return SideCodes(codes: nil, items: [], encoded: result) }
        let binary = network.binaryCodes(result.values)
        // Codes with skipped items are not cached: the next run should try those images again.
        if let cache, let path, result.skipped.isEmpty,
           let problem = cache.write(binary, items: result.indices, to: path, fingerprint: fingerprint, gallery: data.gallery,
                                     source: "hashscope eval --protocol \(data.split.name)") {
            note("codes not cached: \(problem)")
        }
        return SideCodes(codes: binary, items: result.indices, encoded: result)
    }
}
