import Foundation
import Networks
import Retrieval
import TUI

/// Encodes a protocol's queries and database with a network (or takes the codes from the
/// cache) and scores them with Retrieval's evaluator: what `train` measures at its end and
/// what `eval` reports.
struct CodeEvaluation {
    let metrics: RetrievalMetrics
    /// Images encoded per second; nil when every code came from the cache.
    let imagesPerSecond: Double?
    let cached: Bool
    let skipped: [SkippedImage]

    /// Relaxed codes of items: (indices, progress(done, of)) -> the encoder's result.
    typealias Encode = ([Int], (Int, Int) -> Void) -> NetworkEncoder.Result

    /// Encodes images end to end (a backbone head's network with its backbone attached).
    static func run(network: HashingNetwork, preprocessor: ImagePreprocessor, data: ProtocolData,
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
    static func run(network: HashingNetwork, data: ProtocolData, cache: CodeCache? = nil, threads: Int = 2,
                    note: (String) -> Void = { _ in }, progress: ((Int, Int) -> Void)? = nil,
                    encode: Encode) throws -> CodeEvaluation {
        let fingerprint = ModelFingerprint.sha256(of: network)
        let paths = cache?.paths(fingerprint: fingerprint, data: data)
        let total = data.split.query.count + data.split.database.count
        var encodedSoFar = 0, encodeSeconds = 0.0, encodedImages = 0, allCached = true
        var skipped: [SkippedImage] = []

        func codes(for expected: [Int], path: String?) -> (BinaryCodes?, [Int]) {
            if let cache, let path {
                switch cache.read(path, fingerprint: fingerprint, data: data, expected: expected, bits: network.bits) {
                case .hit(let codes, let indices):
                    encodedSoFar += expected.count
                    return (codes, indices)
                case .damaged(let why): note("ignoring the cached codes (\(why)); encoding again")
                case .miss: break
                }
            }
            allCached = false
            let base = encodedSoFar
            let result = encode(expected) { done, _ in progress?(base + done, total) }
            encodedSoFar += expected.count
            encodeSeconds += result.seconds
            encodedImages += result.indices.count
            skipped += result.skipped
            guard !result.indices.isEmpty else { return (nil, []) }
            let binary = network.binaryCodes(result.values)
            // Codes with skipped items are not cached: the next run should try those images again.
            if let cache, let path, result.skipped.isEmpty,
               let problem = cache.write(binary, indices: result.indices, to: path, fingerprint: fingerprint, data: data) {
                note("codes not cached: \(problem)")
            }
            return (binary, result.indices)
        }

        let (queryCodes, queryIndices) = codes(for: data.split.query, path: paths?.query)
        let (databaseCodes, databaseIndices) = codes(for: data.split.database, path: paths?.database)
        guard let queryCodes, let databaseCodes else {
            throw InputError("\(data.spec): no readable \(queryCodes == nil ? "query" : "database") images under \(data.split.name)")
        }
        let relevance = try Relevance(query: data.labelSet(queryIndices), database: data.labelSet(databaseIndices))
        let metrics = RetrievalEvaluator.evaluate(queries: queryCodes, database: databaseCodes, relevance: relevance,
                                                  topK: data.split.topK, cutoffs: data.split.cutoffs, threads: threads)
        return CodeEvaluation(metrics: metrics,
                              imagesPerSecond: allCached ? nil : (encodeSeconds > 0 ? Double(encodedImages) / encodeSeconds : 0),
                              cached: allCached, skipped: skipped)
    }
}
