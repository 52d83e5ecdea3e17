import Basics
import Foundation

/// Retrieval metrics of explicit rankings, for searches that rank by something other than
/// Hamming distance (cosine re-ranking of LSH candidates, exact cosine search).
///
/// Each query's ranking is given by its head: distinct database indices, best first (an LSH
/// query's probed candidates by descending cosine, ties by index). The items not in the head
/// follow it in database order, so every ranking covers the whole database and mAP@all stays
/// defined and comparable with a Hamming ranking. Over that ranking the definitions are
/// `RetrievalMetrics`' (DeepHash-pytorch's CalcTopMap for mAP@k, pr_curve for P@k and R@k,
/// per-query values averaged over all queries, "relevant" = `Relevance`); fed a Hamming
/// ranking (`HammingRanking.order`) they agree with `RetrievalEvaluator` (tested to 1e-12:
/// only the summation order differs).
///
/// In place of the Hamming-radius lookup, the head itself is the retrieved set: head precision
/// = relevant items in the head / head length (0 for an empty head), head recall = relevant
/// items in the head / relevant items in the database (0 when there are none), each averaged
/// over all queries, like precision and recall within radius 2.
public struct RankingMetrics: Sendable, Equatable {
    public let queries: Int
    public let databaseCount: Int
    public let isMultiLabel: Bool
    /// The k of mAP@k: the one asked for, or the database size when none was or it was larger.
    public let topK: Int
    public let meanAveragePrecision: Double
    /// The k of P@k and R@k, ascending, distinct.
    public let cutoffs: [Int]
    public let precisionAt: [Double]
    public let recallAt: [Double]
    /// Mean head length over the queries (an LSH search's candidates per query).
    public let meanHeadLength: Double
    public let headPrecision: Double
    public let headRecall: Double

    public init(queries: Int, databaseCount: Int, isMultiLabel: Bool, topK: Int, meanAveragePrecision: Double,
                cutoffs: [Int], precisionAt: [Double], recallAt: [Double],
                meanHeadLength: Double, headPrecision: Double, headRecall: Double) {
        precondition(precisionAt.count == cutoffs.count && recallAt.count == cutoffs.count)
        self.queries = queries
        self.databaseCount = databaseCount
        self.isMultiLabel = isMultiLabel
        self.topK = topK
        self.meanAveragePrecision = meanAveragePrecision
        self.cutoffs = cutoffs
        self.precisionAt = precisionAt
        self.recallAt = recallAt
        self.meanHeadLength = meanHeadLength
        self.headPrecision = headPrecision
        self.headRecall = headRecall
    }

    /// P@k, for a k among `cutoffs`.
    public func precision(at k: Int) -> Double? { cutoffs.firstIndex(of: k).map { precisionAt[$0] } }
    /// R@k, for a k among `cutoffs`.
    public func recall(at k: Int) -> Double? { cutoffs.firstIndex(of: k).map { recallAt[$0] } }
}

/// Computes `RankingMetrics` from ranking heads (see there for the definitions).
///
/// Queries come in batches from the caller (so a search over a large database never holds
/// every query's ranking at once); each batch is scored on `threads` threads, per-query values
/// are kept and summed in query order at the end, so the result does not depend on the thread
/// count or the batch size.
public enum RankingEvaluator {
    /// `heads(range)` returns the heads of queries `range` (one array per query, in order);
    /// it is called for consecutive ranges of at most `batchSize` queries, in order.
    public static func evaluate<Failure: Error>(
        queryCount: Int, databaseCount: Int, relevance: Relevance, topK: Int? = nil,
        cutoffs: [Int] = RetrievalMetrics.standardCutoffs, threads: Int = 2, batchSize: Int = 256,
        heads: (Range<Int>) throws(Failure) -> [[Int]]
    ) throws(Failure) -> RankingMetrics {
        precondition(queryCount > 0 && databaseCount > 0, "metrics need queries and a database")
        precondition(relevance.queryCount == queryCount && relevance.databaseCount == databaseCount,
                     "labels do not match the rankings: \(relevance.queryCount) x \(relevance.databaseCount) for \(queryCount) x \(databaseCount)")
        precondition(topK.map { $0 > 0 } ?? true, "top-k must be positive")
        precondition(cutoffs.allSatisfy { $0 > 0 }, "P@k needs k > 0")
        precondition(threads >= 1 && batchSize >= 1)

        let plan = Plan(count: databaseCount, topK: min(topK ?? databaseCount, databaseCount),
                        cutoffs: Array(Set(cutoffs)).sorted())
        let scores = ConcurrentSlots<QueryScore>(count: queryCount)
        var start = 0
        while start < queryCount {
            let range = start ..< min(queryCount, start + batchSize)
            let batch = try heads(range)
            precondition(batch.count == range.count, "\(batch.count) heads for \(range.count) queries")
            let workers = max(1, min(threads, range.count))
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                var scratch = Scratch(plan)
                for offset in stride(from: worker, to: range.count, by: workers) {
                    scratch.score(query: range.lowerBound + offset, head: batch[offset], relevance: relevance, into: scores)
                }
            }
            start = range.upperBound
        }
        return QueryScore.metrics(scores.values, plan, databaseCount: databaseCount, isMultiLabel: relevance.isMultiLabel)
    }

    /// Every query's head at once.
    public static func evaluate(heads: [[Int]], databaseCount: Int, relevance: Relevance, topK: Int? = nil,
                                cutoffs: [Int] = RetrievalMetrics.standardCutoffs, threads: Int = 2) -> RankingMetrics {
        evaluate(queryCount: heads.count, databaseCount: databaseCount, relevance: relevance, topK: topK,
                 cutoffs: cutoffs, threads: threads, batchSize: max(1, heads.count)) { (range: Range<Int>) in
            Array(heads[range])
        }
    }

    struct Plan: Sendable {
        let count: Int
        let topK: Int
        let cutoffs: [Int]
        /// Ranking positions at or after this one touch no metric.
        var limit: Int { min(count, max(topK, cutoffs.last ?? 0)) }
    }

    /// One thread's buffers, reused for every query it scores.
    struct Scratch {
        let plan: Plan
        /// Bit 0: relevant to the current query.
        var relevant: [UInt16]
        /// stamps[i] == stamp: item i is in the current head.
        var stamps: [UInt32]
        var stamp: UInt32 = 0
        var hits: [Int]

        init(_ plan: Plan) {
            self.plan = plan
            relevant = Array(repeating: 0, count: plan.count)
            stamps = Array(repeating: 0, count: plan.count)
            hits = Array(repeating: 0, count: plan.cutoffs.count)
        }

        mutating func score(query q: Int, head: [Int], relevance: Relevance, into scores: ConcurrentSlots<QueryScore>) {
            let n = plan.count
            relevant.withUnsafeMutableBufferPointer { keys in
                for i in 0..<n { keys[i] = 0 }
                relevance.markRelevant(query: q, keys: keys.baseAddress!)
            }
            stamp &+= 1
            if stamp == 0 {
                for i in stamps.indices { stamps[i] = 0 }
                stamp = 1
            }
            var relevantTotal = 0, relevantInHead = 0
            for i in 0..<n where relevant[i] & 1 == 1 { relevantTotal += 1 }
            for item in head {
                precondition(item >= 0 && item < n, "head item \(item) outside the database of \(n)")
                precondition(stamps[item] != stamp, "item \(item) twice in query \(q)'s head")
                stamps[item] = stamp
                if relevant[item] & 1 == 1 { relevantInHead += 1 }
            }
            let headPrecision = head.isEmpty ? 0 : Double(relevantInHead) / Double(head.count)
            let headRecall = relevantTotal == 0 ? 0 : Double(relevantInHead) / Double(relevantTotal)
            guard relevantTotal > 0 else {
                // AP, P@k and R@k are all 0.
                scores.store(QueryScore(averagePrecision: 0, hits: nil, relevantTotal: 0, plan: plan,
                                        headLength: head.count, headPrecision: headPrecision, headRecall: headRecall), at: q)
                return
            }

            // Walk the ranking: the head, then everything else in database order.
            let topK = plan.topK, limit = plan.limit, cutoffs = plan.cutoffs
            for c in hits.indices { hits[c] = 0 }
            var position = 0, found = 0, precisionSum = 0.0, hitsInTopK = 0
            func visit(_ item: Int) {
                if relevant[item] & 1 == 1 {
                    found += 1
                    if position < topK {
                        precisionSum += Double(found) / Double(position + 1)
                        hitsInTopK += 1
                    }
                    for c in cutoffs.indices where position < cutoffs[c] { hits[c] += 1 }
                }
                position += 1
            }
            for item in head {
                guard position < limit else { break }
                visit(item)
            }
            var i = 0
            while position < limit && i < n {
                if stamps[i] != stamp { visit(i) }
                i += 1
            }
            scores.store(QueryScore(averagePrecision: hitsInTopK > 0 ? precisionSum / Double(hitsInTopK) : 0, hits: hits,
                                    relevantTotal: relevantTotal, plan: plan,
                                    headLength: head.count, headPrecision: headPrecision, headRecall: headRecall), at: q)
        }
    }

    /// One query's figures: AP, the head's length, precision and recall, and P@k / R@k per cutoff.
    struct QueryScore: Sendable {
        let averagePrecision: Double
        let headLength: Int
        let headPrecision: Double
        let headRecall: Double
        let precisionAt: [Double]
        let recallAt: [Double]

        init(averagePrecision: Double, hits: [Int]?, relevantTotal: Int, plan: Plan,
             headLength: Int, headPrecision: Double, headRecall: Double) {
            self.averagePrecision = averagePrecision
            self.headLength = headLength
            self.headPrecision = headPrecision
            self.headRecall = headRecall
            if let hits {
                precisionAt = plan.cutoffs.indices.map { Double(hits[$0]) / Double(plan.cutoffs[$0]) }
                recallAt = plan.cutoffs.indices.map { Double(hits[$0]) / Double(relevantTotal) }
            } else {
                precisionAt = Array(repeating: 0, count: plan.cutoffs.count)
                recallAt = precisionAt
            }
        }

        /// The means over queries, summed in query order.
        static func metrics(_ scores: [QueryScore], _ plan: Plan, databaseCount: Int, isMultiLabel: Bool) -> RankingMetrics {
            let n = Double(scores.count)
            var map = 0.0, length = 0.0, hp = 0.0, hr = 0.0
            var p = [Double](repeating: 0, count: plan.cutoffs.count), r = p
            for score in scores {
                map += score.averagePrecision
                length += Double(score.headLength)
                hp += score.headPrecision
                hr += score.headRecall
                for c in plan.cutoffs.indices {
                    p[c] += score.precisionAt[c]
                    r[c] += score.recallAt[c]
                }
            }
            return RankingMetrics(queries: scores.count, databaseCount: databaseCount, isMultiLabel: isMultiLabel, topK: plan.topK,
                                  meanAveragePrecision: map / n, cutoffs: plan.cutoffs,
                                  precisionAt: p.map { $0 / n }, recallAt: r.map { $0 / n },
                                  meanHeadLength: length / n, headPrecision: hp / n, headRecall: hr / n)
        }
    }
}
