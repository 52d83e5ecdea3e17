import Foundation

/// The CNN+CBAM+LSH paper's search, scored as a whole (docs/ARCHITECTURE.md, Definitions: the methods): the
/// database features go into an `LSHIndex` (L tables of K random hyperplanes), each query
/// probes `probes` buckets per table and its candidates (the union over the tables) are
/// re-ranked by exact cosine. The ranking scored is the candidates by descending cosine, ties
/// by database index, then the items never probed in database order (`RankingEvaluator`), so
/// mAP@all is defined and, with every bucket probed, equal to exact cosine search's.
public struct LSHEvaluation: Sendable {
    public let metrics: RankingMetrics
    public let tables: Int
    public let bitsPerTable: Int
    /// Buckets probed per table: the probes asked for, capped at 2^K (all of them).
    public let probes: Int
    /// Building the index (normalising, projecting, bucketing the database).
    public let buildSeconds: Double
    /// The searches of every query, one after another on one thread: normalising and
    /// projecting the query, probing its buckets, scoring each candidate by cosine and sorting
    /// them. Scoring the rankings is not included.
    public let searchSeconds: Double

    /// Mean candidates (distinct items in the probed buckets) per query.
    public var meanCandidates: Double { metrics.meanHeadLength }
    /// `searchSeconds` per query, in milliseconds.
    public var meanQueryMilliseconds: Double { searchSeconds * 1000 / Double(metrics.queries) }

    /// Builds the index over `database` with hyperplanes from `seed`, searches every query and
    /// scores the rankings. `threads` score the rankings; each search runs on one thread.
    public static func run(queries: FeatureMatrix, database: FeatureMatrix, relevance: Relevance,
                           tables: Int, bitsPerTable: Int, probes: Int, seed: UInt64 = 0,
                           topK: Int? = nil, cutoffs: [Int] = RetrievalMetrics.standardCutoffs,
                           threads: Int = 2) throws(FeatureSearchError) -> LSHEvaluation {
        guard probes >= 1 else { throw .invalidProbes(probes) }
        guard queries.dimension == database.dimension else {
            throw .dimensionMismatch(expected: database.dimension, got: queries.dimension)
        }
        let buildStart = DispatchTime.now()
        var index = try LSHIndex(dimension: database.dimension, bitsPerTable: bitsPerTable, tables: tables, seed: seed)
        try index.add(database)
        let buildSeconds = Self.seconds(since: buildStart)
        let effectiveProbes = min(probes, index.maxProbes)

        var searchSeconds = 0.0
        let metrics = try RankingEvaluator.evaluate(
            queryCount: queries.rows, databaseCount: database.rows, relevance: relevance,
            topK: topK, cutoffs: cutoffs, threads: threads, batchSize: 256
        ) { (range: Range<Int>) throws(FeatureSearchError) -> [[Int]] in
            let batch = queries.subset(range)
            let start = DispatchTime.now()
            // Every candidate, most similar first, ties by index: a range search with no floor.
            let found = try index.rangeSearch(batch, minSimilarity: -.infinity, probes: effectiveProbes)
            searchSeconds += Self.seconds(since: start)
            return found.map { $0.map(\.index) }
        }
        return LSHEvaluation(metrics: metrics, tables: tables, bitsPerTable: bitsPerTable, probes: effectiveProbes,
                             buildSeconds: buildSeconds, searchSeconds: searchSeconds)
    }

    /// Exact cosine search scored the same way: every item a candidate, ranked by cosine (the
    /// reference LSH approaches as probes grow).
    public static func exactCosine(queries: FeatureMatrix, database: FeatureMatrix, relevance: Relevance,
                                   topK: Int? = nil, cutoffs: [Int] = RetrievalMetrics.standardCutoffs,
                                   threads: Int = 2) throws(FeatureSearchError) -> RankingMetrics {
        var exact = ExactCosineSearch(dimension: database.dimension)
        try exact.add(database)
        return try RankingEvaluator.evaluate(
            queryCount: queries.rows, databaseCount: database.rows, relevance: relevance,
            topK: topK, cutoffs: cutoffs, threads: threads, batchSize: 256
        ) { (range: Range<Int>) throws(FeatureSearchError) -> [[Int]] in
            try exact.rangeSearch(queries.subset(range), minSimilarity: -.infinity).map { $0.map(\.index) }
        }
    }

    private static func seconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }
}
