import Basics
import Foundation

/// Computes `RetrievalMetrics` for every query against the whole database.
///
/// Per query, nothing is sorted: distances and relevance go into one 16-bit key per item
/// (distance << 1 | relevant), a histogram of keys gives each distance's run in the stable
/// ranking and how many relevant items precede it, which is all the radius metrics need. One
/// more pass in index order then walks each run in ranking order (a counting sort without the
/// scatter): an item's position is the next free slot of its run, and a relevant item's rank
/// among the hits is the next relevant slot, which is all AP, P@k and R@k need.
///
/// Queries are split into fixed chunks of 64, handed round-robin to `threads` threads; chunk
/// sums are added in chunk order, so the result does not depend on the thread count.
public enum RetrievalEvaluator {
    static let chunkSize = 64

    public static func evaluate(queries: BinaryCodes, database: BinaryCodes, relevance: Relevance,
                                topK: Int? = nil, cutoffs: [Int] = RetrievalMetrics.standardCutoffs,
                                threads: Int = 2) -> RetrievalMetrics {
        precondition(queries.bits == database.bits, "\(queries.bits)-bit queries cannot search \(database.bits)-bit codes")
        precondition(queries.count > 0 && database.count > 0, "metrics need queries and a database")
        precondition(relevance.queryCount == queries.count && relevance.databaseCount == database.count,
                     "labels do not match the codes: \(relevance.queryCount) x \(relevance.databaseCount) for \(queries.count) x \(database.count)")
        precondition(topK.map { $0 > 0 } ?? true, "top-k must be positive")
        precondition(cutoffs.allSatisfy { $0 > 0 }, "P@k needs k > 0")
        precondition(threads >= 1)

        let plan = Plan(bits: database.bits, count: database.count,
                        topK: min(topK ?? database.count, database.count),
                        cutoffs: Array(Set(cutoffs)).sorted())
        let chunkCount = (queries.count + chunkSize - 1) / chunkSize
        let results = ConcurrentSlots<Sums>(count: chunkCount)
        let workers = min(threads, chunkCount)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var scratch = Scratch(plan)
            for chunk in stride(from: worker, to: chunkCount, by: workers) {
                var sums = Sums(plan)
                for q in chunk * chunkSize..<min(queries.count, (chunk + 1) * chunkSize) {
                    scratch.score(query: queries.code(q).baseAddress!, q, database: database, relevance: relevance, into: &sums)
                }
                results.store(sums, at: chunk)
            }
        }

        var total = Sums(plan)
        for chunk in 0..<chunkCount { total.add(results.value(at: chunk)) }
        let n = Double(queries.count)
        return RetrievalMetrics(
            queries: queries.count, databaseCount: database.count, bits: database.bits,
            isMultiLabel: relevance.isMultiLabel, topK: plan.topK,
            meanAveragePrecision: total.averagePrecision / n,
            cutoffs: plan.cutoffs, precisionAt: total.precisionAt.map { $0 / n }, recallAt: total.recallAt.map { $0 / n },
            precisionByRadius: total.precisionByRadius.map { $0 / n }, recallByRadius: total.recallByRadius.map { $0 / n },
            tieAware: .init(meanAveragePrecision: total.tieAwareAveragePrecision / n,
                            precisionAt: total.tieAwarePrecisionAt.map { $0 / n }, recallAt: total.tieAwareRecallAt.map { $0 / n }))
    }

    struct Plan: Sendable {
        let bits: Int
        let count: Int
        let topK: Int
        let cutoffs: [Int]
        /// Items ranked at or after this position touch no metric but the radius ones.
        var limit: Int { min(count, max(topK, cutoffs.last ?? 0)) }
    }

    /// Per-query values summed over queries.
    struct Sums {
        var averagePrecision = 0.0
        var precisionAt: [Double]
        var recallAt: [Double]
        var precisionByRadius: [Double]
        var recallByRadius: [Double]
        var tieAwareAveragePrecision = 0.0
        var tieAwarePrecisionAt: [Double]
        var tieAwareRecallAt: [Double]

        init(_ plan: Plan) {
            precisionAt = Array(repeating: 0, count: plan.cutoffs.count)
            recallAt = precisionAt
            tieAwarePrecisionAt = precisionAt
            tieAwareRecallAt = precisionAt
            precisionByRadius = Array(repeating: 0, count: plan.bits + 1)
            recallByRadius = precisionByRadius
        }

        mutating func add(_ other: Sums) {
            averagePrecision += other.averagePrecision
            tieAwareAveragePrecision += other.tieAwareAveragePrecision
            for i in precisionAt.indices {
                precisionAt[i] += other.precisionAt[i]
                recallAt[i] += other.recallAt[i]
                tieAwarePrecisionAt[i] += other.tieAwarePrecisionAt[i]
                tieAwareRecallAt[i] += other.tieAwareRecallAt[i]
            }
            for r in precisionByRadius.indices { precisionByRadius[r] += other.precisionByRadius[r]; recallByRadius[r] += other.recallByRadius[r] }
        }
    }

    /// One thread's buffers, reused for every query it scores.
    struct Scratch {
        let plan: Plan
        var keys: [UInt16]
        /// Histogram of keys: [2d] items at distance d not relevant, [2d + 1] relevant.
        var histogram: [Int]
        var nextPosition: [Int]
        var nextHit: [Int]
        var hits: [Int]
        let tieAware: TieAwareRanking
        var groups: [TieAwareRanking.Group]

        init(_ plan: Plan) {
            self.plan = plan
            tieAware = TieAwareRanking(count: plan.count)
            groups = Array(repeating: TieAwareRanking.Group(items: 0, relevant: 0), count: plan.bits + 1)
            keys = Array(repeating: 0, count: plan.count)
            histogram = Array(repeating: 0, count: 2 * (plan.bits + 1))
            nextPosition = Array(repeating: 0, count: plan.bits + 1)
            nextHit = nextPosition
            hits = Array(repeating: 0, count: plan.cutoffs.count)
        }

        mutating func score(query: UnsafePointer<UInt64>, _ q: Int, database: BinaryCodes, relevance: Relevance, into sums: inout Sums) {
            let n = plan.count, bits = plan.bits
            keys.withUnsafeMutableBufferPointer { keys in
                HammingRanking.fillDistances(query: query, database: database, into: keys.baseAddress!)
                relevance.markRelevant(query: q, keys: keys.baseAddress!)
                histogram.withUnsafeMutableBufferPointer { histogram in
                    for i in 0..<histogram.count { histogram[i] = 0 }
                    for i in 0..<n { histogram[Int(keys[i])] += 1 }
                }
            }

            // Runs: items at distance d start at position `start`, after `hitsBefore` relevant ones.
            var start = 0, hitsBefore = 0
            for d in 0...bits {
                nextPosition[d] = start
                nextHit[d] = hitsBefore
                start += histogram[2 * d] + histogram[2 * d + 1]
                hitsBefore += histogram[2 * d + 1]
            }
            let relevantTotal = hitsBefore

            // Within radius r: the runs 0...r, i.e. the first nextPosition[r + 1] positions.
            for r in 0...bits {
                let retrieved = r < bits ? nextPosition[r + 1] : n
                let found = r < bits ? nextHit[r + 1] : relevantTotal
                if retrieved > 0 { sums.precisionByRadius[r] += Double(found) / Double(retrieved) }
                if relevantTotal > 0 { sums.recallByRadius[r] += Double(found) / Double(relevantTotal) }
            }
            guard relevantTotal > 0 else { return }  // AP, P@k and R@k are all 0

            // Tie-aware: from the histogram alone.
            for d in 0...bits { groups[d] = TieAwareRanking.Group(items: histogram[2 * d] + histogram[2 * d + 1], relevant: histogram[2 * d + 1]) }
            sums.tieAwareAveragePrecision += tieAware.expectedAveragePrecision(groups, topK: plan.topK)
            for c in plan.cutoffs.indices {
                let expected = tieAware.expectedHits(groups, k: plan.cutoffs[c])
                sums.tieAwarePrecisionAt[c] += expected / Double(plan.cutoffs[c])
                sums.tieAwareRecallAt[c] += expected / Double(relevantTotal)
            }

            // Each item in index order takes the next position of its run: the stable ranking.
            let topK = plan.topK, limit = plan.limit, cutoffs = plan.cutoffs
            for c in hits.indices { hits[c] = 0 }
            var precisionSum = 0.0, hitsInTopK = 0
            keys.withUnsafeBufferPointer { keys in
                nextPosition.withUnsafeMutableBufferPointer { nextPosition in
                    nextHit.withUnsafeMutableBufferPointer { nextHit in
                        for i in 0..<n {
                            let key = Int(keys[i]), d = key >> 1
                            let position = nextPosition[d]  // from 0
                            nextPosition[d] = position + 1
                            guard key & 1 == 1 else { continue }
                            let j = nextHit[d] + 1          // rank among the hits, from 1
                            nextHit[d] = j
                            guard position < limit else { continue }
                            if position < topK {
                                precisionSum += Double(j) / Double(position + 1)
                                hitsInTopK += 1
                            }
                            for c in cutoffs.indices where position < cutoffs[c] { hits[c] += 1 }
                        }
                    }
                }
            }
            if hitsInTopK > 0 { sums.averagePrecision += precisionSum / Double(hitsInTopK) }
            for c in cutoffs.indices {
                sums.precisionAt[c] += Double(hits[c]) / Double(cutoffs[c])
                sums.recallAt[c] += Double(hits[c]) / Double(relevantTotal)
            }
        }
    }
}
