import Basics
import COpenBLAS
import Foundation

/// The CNN+CBAM+LSH paper's index over float features: L tables, each keyed by K random
/// hyperplanes through the origin (cosine LSH: bit b of table t is 1 where the feature's
/// projection on hyperplane b is >= 0). A query probes `probes` buckets per table (its own,
/// then query-directed multi-probe, `MultiProbeSequence`), and the union of their items is
/// re-ranked by exact cosine over the stored, L2-normalised features.
///
/// Shaped like faiss: add / search / rangeSearch. Guarantees, tested against
/// `ExactCosineSearch`: each returned similarity is the exact cosine; no duplicates; more
/// probes never lose a true neighbour (the probed buckets are nested); with `probes = 2^K`
/// every bucket is probed and the results equal exact search, ties included.
///
/// Bad k, probes, widths and non-finite features are typed errors (`FeatureSearchError`),
/// not preconditions: they come from flags and files.
public struct LSHIndex: Sendable {
    public static let maxBitsPerTable = 32

    public let dimension: Int
    /// K: hyperplanes per table, the bucket key's length.
    public let bitsPerTable: Int
    /// L: number of tables.
    public let tableCount: Int
    /// (D, L*K) row-major: column t*K + b is hyperplane b of table t. For index files.
    public let hyperplanes: [Float]
    private var store: UnitFeatures
    private var tables: [LSHTable]

    /// Number of buckets per table, 2^K: probing this many is exhaustive.
    public var maxProbes: Int { 1 << bitsPerTable }
    public var count: Int { store.count }
    /// The stored features, L2-normalised.
    public var normalisedFeatures: FeatureMatrix {
        FeatureMatrix(rows: store.count, dimension: dimension, values: store.values)
    }

    /// Hyperplanes with N(0,1) entries drawn row by row from `SeededGenerator(seed:)`.
    public init(dimension: Int, bitsPerTable: Int, tables: Int, seed: UInt64) throws(FeatureSearchError) {
        var generator = SeededGenerator(seed: seed)
        guard dimension > 0 else { throw .invalidDimension(dimension) }
        guard (1...Self.maxBitsPerTable).contains(bitsPerTable) && tables >= 1 else {
            throw .invalidTables(bitsPerTable: bitsPerTable, tables: tables)
        }
        try self.init(dimension: dimension, bitsPerTable: bitsPerTable, tables: tables,
                      hyperplanes: generator.normals(count: dimension * bitsPerTable * tables))
    }

    /// Restores an index's hyperplanes (from an index file); add the features again.
    public init(dimension: Int, bitsPerTable: Int, tables: Int, hyperplanes: [Float]) throws(FeatureSearchError) {
        guard dimension > 0 else { throw .invalidDimension(dimension) }
        guard (1...Self.maxBitsPerTable).contains(bitsPerTable) && tables >= 1 else {
            throw .invalidTables(bitsPerTable: bitsPerTable, tables: tables)
        }
        guard hyperplanes.count == dimension * bitsPerTable * tables else {
            throw .invalidHyperplanes("\(hyperplanes.count) values, expected \(dimension) x \(bitsPerTable * tables)")
        }
        guard hyperplanes.allSatisfy(\.isFinite) else { throw .invalidHyperplanes("non-finite values") }
        self.dimension = dimension
        self.bitsPerTable = bitsPerTable
        self.tableCount = tables
        self.hyperplanes = hyperplanes
        store = UnitFeatures(dimension: dimension)
        self.tables = Array(repeating: LSHTable(bits: bitsPerTable), count: tables)
    }

    /// Appends items `count ..< count + features.rows` and rebuilds the buckets.
    // x: (N,D) -> N keys per table
    public mutating func add(_ features: FeatureMatrix) throws(FeatureSearchError) {
        guard store.count + features.rows <= Int(Int32.max) else { throw .tooManyItems(store.count + features.rows) }
        let rows = try UnitFeatures.normalise(features, dimension: dimension)
        guard features.rows > 0 else { return }
        let projections = project(rows, count: features.rows)
        let first = store.count
        store.append(normalised: rows)
        let width = tableCount * bitsPerTable
        for t in 0..<tableCount {
            let keys = (0..<features.rows).map { r in
                Self.key(projections, offset: r * width + t * bitsPerTable, bits: bitsPerTable)
            }
            tables[t].insert(keys: keys, firstID: first)
        }
    }

    /// The k most similar stored items to each query among those in the `probes` buckets
    /// probed per table (capped at 2^K, which makes the search exhaustive). Queries are split
    /// over `threads`.
    public func search(_ queries: FeatureMatrix, k: Int, probes: Int = 1, threads: Int = 1) throws(FeatureSearchError) -> CosineSearchResults {
        guard k >= 1 else { throw .invalidK(k) }
        guard probes >= 1 else { throw .invalidProbes(probes) }
        let normalised = try UnitFeatures.normalise(queries, dimension: dimension)
        let n = queries.rows
        var similarities = [Float](repeating: CosineSearchResults.padSimilarity, count: n * k)
        var labels = [Int](repeating: -1, count: n * k)
        guard n > 0 && count > 0 else { return CosineSearchResults(k: k, similarities: similarities, labels: labels) }
        let projections = project(normalised, count: n)
        similarities.withUnsafeMutableBufferPointer { sims in
            labels.withUnsafeMutableBufferPointer { labs in
                let simRows = CosineResultRows(base: sims.baseAddress!), labelRows = CosineResultRows(base: labs.baseAddress!)
                Self.splitQueries(n, threads: threads) { range in
                    var probe = ProbeState(count: count)
                    var best = CosineTopK(k: k)
                    normalised.withUnsafeBufferPointer { q in
                        for query in range {
                            best.reset()
                            forEachCandidate(query, projections: projections, probes: probes, state: &probe) { id, stored in
                                let similarity = UnitFeatures.similarity(q.baseAddress! + query * dimension, stored, id: id, dimension: dimension)
                                best.offer(similarity: similarity, id: Int32(id))
                            }
                            best.write(similarities: simRows.base + query * k, labels: labelRows.base + query * k)
                        }
                    }
                }
            }
        }
        return CosineSearchResults(k: k, similarities: similarities, labels: labels)
    }

    /// Every candidate (from the probed buckets) with cosine similarity >= `minSimilarity`,
    /// most similar first, ties by index.
    public func rangeSearch(_ queries: FeatureMatrix, minSimilarity: Float, probes: Int = 1) throws(FeatureSearchError) -> [[CosineNeighbour]] {
        guard probes >= 1 else { throw .invalidProbes(probes) }
        let normalised = try UnitFeatures.normalise(queries, dimension: dimension)
        guard queries.rows > 0 && count > 0 else { return Array(repeating: [], count: queries.rows) }
        let projections = project(normalised, count: queries.rows)
        var probe = ProbeState(count: count)
        return normalised.withUnsafeBufferPointer { q in
            (0..<queries.rows).map { query in
                var found: [CosineNeighbour] = []
                forEachCandidate(query, projections: projections, probes: probes, state: &probe) { id, stored in
                    let similarity = UnitFeatures.similarity(q.baseAddress! + query * dimension, stored, id: id, dimension: dimension)
                    if similarity >= minSimilarity { found.append(CosineNeighbour(index: id, similarity: similarity)) }
                }
                return found.sorted { $0.similarity > $1.similarity || ($0.similarity == $1.similarity && $0.index < $1.index) }
            }
        }
    }

    /// Items per bucket of table `t` (non-empty buckets only, in key order).
    public func bucketSizes(table t: Int) -> [Int] { tables[t].bucketSizes }

    // MARK: - Kernels

    /// Per-thread scratch: a stamp per item marks what this query has already seen (no
    /// clearing between queries), and the probe generator's buffers.
    private struct ProbeState {
        var stamps: [UInt32]
        var current: UInt32 = 0
        var sequence = MultiProbeSequence()
        var masks: [UInt32] = []

        init(count: Int) { stamps = [UInt32](repeating: 0, count: count) }

        mutating func nextQuery() {
            current &+= 1
            if current == 0 {  // wrapped: old stamps could match again
                for i in stamps.indices { stamps[i] = 0 }
                current = 1
            }
        }
    }

    /// Calls `body(id, storedRows)` once for each distinct item in the buckets the query
    /// probes, table by table.
    private func forEachCandidate(_ query: Int, projections: [Float], probes: Int, state: inout ProbeState,
                                  _ body: (Int, UnsafePointer<Float>) -> Void) {
        store.values.withUnsafeBufferPointer { stored in
            let stored = stored.baseAddress!
            if probes >= maxProbes {
                // Every bucket of any one table holds every item: exhaustive, no lookups.
                for id in 0..<count { body(id, stored) }
                return
            }
            state.nextQuery()
            let width = tableCount * bitsPerTable
            projections.withUnsafeBufferPointer { p in
                for t in 0..<tableCount {
                    let offset = query * width + t * bitsPerTable
                    let margins = UnsafeBufferPointer(rebasing: p[offset ..< offset + bitsPerTable])
                    let key = Self.key(projections, offset: offset, bits: bitsPerTable)
                    state.sequence.generate(margins: margins, count: probes, into: &state.masks)
                    let table = tables[t]
                    for mask in state.masks {
                        for slot in table.bucket(key ^ mask) {
                            let id = Int(table.ids[slot])
                            guard state.stamps[id] != state.current else { continue }
                            state.stamps[id] = state.current
                            body(id, stored)
                        }
                    }
                }
            }
        }
    }

    /// Projections of normalised rows on all L*K hyperplanes in one sgemm.
    // x: (N,D) -> (N,L*K)
    private func project(_ rows: [Float], count n: Int) -> [Float] {
        let width = tableCount * bitsPerTable
        var out = [Float](repeating: 0, count: n * width)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(width), Int32(dimension),
                    1, rows, Int32(dimension), hyperplanes, Int32(width), 0, &out, Int32(width))
        return out
    }

    /// Bit b of the key is 1 where projection b is >= 0.
    @inline(__always)
    private static func key(_ projections: [Float], offset: Int, bits: Int) -> UInt32 {
        var key: UInt32 = 0
        for b in 0..<bits where projections[offset + b] >= 0 { key |= 1 << UInt32(b) }
        return key
    }

    /// Runs `body` on contiguous ranges of 0..<n, one per thread.
    static func splitQueries(_ n: Int, threads: Int, _ body: @Sendable (Range<Int>) -> Void) {
        let parts = max(1, min(threads, n))
        if parts == 1 { return body(0..<n) }
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            body(n * part / parts ..< n * (part + 1) / parts)
        }
    }
}
