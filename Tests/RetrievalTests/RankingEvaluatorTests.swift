import Interchange
import Foundation
import Basics
import Retrieval
import XCTest

/// RankingEvaluator (metrics of explicit rankings: head, then the rest in database order) and
/// LSHEvaluation (cosine LSH scored by it).
final class RankingEvaluatorTests: XCTestCase {
    // MARK: - Hand-made rankings

    /// Six database items, three queries; every number below worked out by hand.
    func testHandMadeRankingsGiveHandComputedMetrics() throws {
        // Database labels: items 0, 2, 3 are class 0; 1, 4 class 1; 5 class 2.
        let relevance = try Relevance(query: .classIDs([0, 2, 3]), database: .classIDs([0, 1, 0, 0, 1, 2]))
        // Query 0 (class 0): head [3, 1], so the ranking is 3, 1, then 0, 2, 4, 5.
        //   relevant at positions 1, 3, 4: AP@all = (1/1 + 2/3 + 3/4) / 3.
        // Query 1 (class 2): empty head, ranking 0...5; its one relevant item is 6th: AP = 1/6.
        // Query 2 (class 3): nothing relevant: all zero.
        let heads = [[3, 1], [], [4, 5, 0]]
        let all = RankingEvaluator.evaluate(heads: heads, databaseCount: 6, relevance: relevance, cutoffs: [1, 2, 3, 6, 10])
        XCTAssertEqual(all.queries, 3)
        XCTAssertEqual(all.databaseCount, 6)
        XCTAssertEqual(all.topK, 6)
        XCTAssertFalse(all.isMultiLabel)
        let ap0 = (1.0 + 2.0 / 3 + 3.0 / 4) / 3, ap1 = 1.0 / 6
        XCTAssertEqual(all.meanAveragePrecision, (ap0 + ap1 + 0) / 3, accuracy: 1e-15)
        XCTAssertEqual(all.cutoffs, [1, 2, 3, 6, 10])
        // Hits in the first k: query 0 has 1, 1, 2, 3, 3; query 1 has 0, 0, 0, 1, 1.
        let p: [Double] = [(1.0 / 1 + 0) / 3, (1.0 / 2 + 0) / 3, (2.0 / 3 + 0) / 3, (3.0 / 6 + 1.0 / 6) / 3, (3.0 / 10 + 1.0 / 10) / 3]
        let r: [Double] = [(1.0 / 3 + 0) / 3, (1.0 / 3 + 0) / 3, (2.0 / 3 + 0) / 3, (1.0 + 1.0) / 3, (1.0 + 1.0) / 3]
        for i in 0..<5 {
            XCTAssertEqual(all.precisionAt[i], p[i], accuracy: 1e-15, "P@\(all.cutoffs[i])")
            XCTAssertEqual(all.recallAt[i], r[i], accuracy: 1e-15, "R@\(all.cutoffs[i])")
        }
        XCTAssertEqual(all.precision(at: 3), all.precisionAt[2])
        XCTAssertNil(all.precision(at: 4))
        // Heads: lengths 2, 0, 3; query 0's head holds 1 relevant item (of 2 in it, of 3 in all).
        XCTAssertEqual(all.meanHeadLength, 5.0 / 3, accuracy: 1e-15)
        XCTAssertEqual(all.headPrecision, (1.0 / 2 + 0 + 0) / 3, accuracy: 1e-15)
        XCTAssertEqual(all.headRecall, (1.0 / 3 + 0 + 0) / 3, accuracy: 1e-15)

        // mAP@3: query 0's hits within the top 3 are at 1 and 3: (1/1 + 2/3) / 2; query 1 has none.
        let top3 = RankingEvaluator.evaluate(heads: heads, databaseCount: 6, relevance: relevance, topK: 3, cutoffs: [1])
        XCTAssertEqual(top3.topK, 3)
        XCTAssertEqual(top3.meanAveragePrecision, ((1.0 + 2.0 / 3) / 2) / 3, accuracy: 1e-15)
        // A k past the database means the whole database, as RetrievalEvaluator's.
        XCTAssertEqual(RankingEvaluator.evaluate(heads: heads, databaseCount: 6, relevance: relevance, topK: 100).topK, 6)

        // The full ranking given as the head is the same ranking.
        let full = RankingEvaluator.evaluate(heads: [[3, 1, 0, 2, 4, 5], [0, 1, 2, 3, 4, 5], [4, 5, 0, 1, 2, 3]], databaseCount: 6,
                                             relevance: relevance, cutoffs: [1, 2, 3, 6, 10])
        XCTAssertEqual(full.meanAveragePrecision, all.meanAveragePrecision)
        XCTAssertEqual(full.precisionAt, all.precisionAt)
        XCTAssertEqual(full.recallAt, all.recallAt)
    }

    func testMultiHotRelevanceIsASharedLabel() throws {
        // Query shares label 1 with item 2 and label 0 with item 0; item 1 shares nothing.
        let query = MultiHotLabels(rows: [[true, true, false]])
        let database = MultiHotLabels(rows: [[true, false, false], [false, false, true], [false, true, true]])
        let relevance = try Relevance(query: .multiHot(query), database: .multiHot(database))
        // Ranking 1, 2, 0: relevant at 2 and 3: AP = (1/2 + 2/3) / 2.
        let metrics = RankingEvaluator.evaluate(heads: [[1]], databaseCount: 3, relevance: relevance, cutoffs: [1])
        XCTAssertTrue(metrics.isMultiLabel)
        XCTAssertEqual(metrics.meanAveragePrecision, (1.0 / 2 + 2.0 / 3) / 2, accuracy: 1e-15)
        XCTAssertEqual(metrics.headPrecision, 0)
        XCTAssertEqual(metrics.headRecall, 0)
    }

    // MARK: - Against the Hamming evaluator

    /// Hamming rankings fed in as heads give RetrievalEvaluator's numbers, and the numpy
    /// reference's (scripts/reference_metrics.py) on every golden case.
    func testHammingRankingsAgreeWithRetrievalEvaluatorAndTheGoldenValues() throws {
        let (folder, cases) = try MetricsTests.goldenCases()
        XCTAssertGreaterThanOrEqual(cases.count, 12)
        for golden in cases {
            let name = try XCTUnwrap(golden["name"] as? String)
            func path(_ key: String) throws -> String { folder + "/" + (try XCTUnwrap(golden[key] as? String)) }
            let packed = golden["packed"] as? Int
            let queries = try NPYInputs.codes(NPYFile.read(path("query_codes")), source: "q", packedBits: packed)
            let database = try NPYInputs.codes(NPYFile.read(path("db_codes")), source: "d", packedBits: packed)
            let relevance = try Relevance(query: NPYInputs.labels(NPYFile.read(path("query_labels")), source: "ql"),
                                          database: NPYInputs.labels(NPYFile.read(path("db_labels")), source: "dl"))
            let topK = golden["topk"] as? Int
            let hamming = RetrievalEvaluator.evaluate(queries: queries, database: database, relevance: relevance, topK: topK)
            let rankings = (0..<queries.count).map { HammingRanking(query: queries, $0, database: database) }
            let heads = rankings.map(\.order)
            // Without the farthest run as head: the tail in database order is that run in its stable order.
            let shortened = rankings.map { ranking -> [Int] in
                let last = ranking.distances.last ?? 0
                return Array(ranking.order[..<ranking.runStarts[last]])
            }
            XCTAssertLessThan(shortened.map(\.count).reduce(0, +), heads.map(\.count).reduce(0, +), name)
            for (label, given) in [("whole", heads), ("shortened", shortened)] {
                let ranked = RankingEvaluator.evaluate(heads: given, databaseCount: database.count, relevance: relevance, topK: topK)
                XCTAssertEqual(ranked.topK, hamming.topK, name)
                XCTAssertEqual(ranked.isMultiLabel, hamming.isMultiLabel, name)
                XCTAssertEqual(ranked.cutoffs, hamming.cutoffs, name)
                XCTAssertEqual(ranked.meanAveragePrecision, hamming.meanAveragePrecision, accuracy: 1e-12, "\(name) \(label) map")
                for i in hamming.cutoffs.indices {
                    XCTAssertEqual(ranked.precisionAt[i], hamming.precisionAt[i], accuracy: 1e-12, "\(name) \(label) P@\(hamming.cutoffs[i])")
                    XCTAssertEqual(ranked.recallAt[i], hamming.recallAt[i], accuracy: 1e-12, "\(name) \(label) R@\(hamming.cutoffs[i])")
                }
                XCTAssertEqual(ranked.meanAveragePrecision, try XCTUnwrap(golden["map"] as? Double), accuracy: 1e-6, name)
                let pAt = try XCTUnwrap(golden["p_at"] as? [String: Double])
                for k in [10, 100, 1000] {
                    XCTAssertEqual(try XCTUnwrap(ranked.precision(at: k)), try XCTUnwrap(pAt[String(k)]), accuracy: 1e-6, "\(name) P@\(k)")
                }
            }
        }
    }

    func testResultDoesNotDependOnThreadsOrBatches() throws {
        var g = SeededGenerator(seed: 4)
        let labels = (0..<300).map { _ in g.nextInt(below: 5) }
        let relevance = try Relevance(query: .classIDs(Array(labels[..<70])), database: .classIDs(labels))
        let heads = (0..<70).map { _ in Array((0..<300).shuffled(using: &g).prefix(g.nextInt(below: 300))) }
        let one = RankingEvaluator.evaluate(heads: heads, databaseCount: 300, relevance: relevance, cutoffs: [5, 50], threads: 1)
        for (threads, batch) in [(2, 1), (3, 7), (8, 64), (2, 1000)] {
            let other = RankingEvaluator.evaluate(queryCount: 70, databaseCount: 300, relevance: relevance, cutoffs: [5, 50],
                                                  threads: threads, batchSize: batch) { (range: Range<Int>) in Array(heads[range]) }
            XCTAssertEqual(other, one, "\(threads) threads, batches of \(batch)")
        }
    }

    // MARK: - LSH, scored

    func testLSHWithEveryBucketProbedEqualsExactCosineAndFewerProbesFindFewer() throws {
        let (database, queries) = LSHIndexTests.data(seed: 9)
        // Labels: the cluster each item was drawn around (LSHIndexTests.data's 12 centres).
        var labels = (0..<950).map { $0 % 12 }
        labels += (0..<50).map { labels[$0 * 17] }
        let queryLabels = (0..<25).map { labels[$0 * 31] }
        let relevance = try Relevance(query: .classIDs(queryLabels), database: .classIDs(labels))
        let exact = try LSHEvaluation.exactCosine(queries: queries, database: database, relevance: relevance, cutoffs: [10, 100])
        XCTAssertEqual(exact.meanHeadLength, 1000)
        XCTAssertGreaterThan(exact.meanAveragePrecision, 0.5, "clusters are findable")

        var previous = 0.0
        for probes in [1, 4, 16, 256, 1 << 20] {
            let lsh = try LSHEvaluation.run(queries: queries, database: database, relevance: relevance,
                                            tables: 3, bitsPerTable: 8, probes: probes, seed: 1, cutoffs: [10, 100])
            XCTAssertEqual(lsh.probes, min(probes, 256))
            XCTAssertEqual(lsh.tables, 3)
            XCTAssertEqual(lsh.bitsPerTable, 8)
            XCTAssertGreaterThanOrEqual(lsh.meanCandidates, previous, "probed sets are nested")
            previous = lsh.meanCandidates
            XCTAssertGreaterThanOrEqual(lsh.searchSeconds, 0)
            XCTAssertGreaterThan(lsh.meanQueryMilliseconds, 0)
            if probes >= 256 {
                XCTAssertEqual(lsh.metrics, exact, "every bucket probed is exact cosine search")
            } else if probes == 1 {
                XCTAssertLessThan(lsh.meanCandidates, 1000)
                XCTAssertLessThan(lsh.metrics.headRecall, 1)
            }
        }
    }

    func testLSHRefusesBadParameters() throws {
        let (database, queries) = LSHIndexTests.data(seed: 1)
        let relevance = try Relevance(query: .classIDs(Array(repeating: 0, count: 25)), database: .classIDs(Array(repeating: 0, count: 1000)))
        func run(tables: Int = 2, bits: Int = 8, probes: Int = 1, queries q: FeatureMatrix? = nil) throws {
            _ = try LSHEvaluation.run(queries: q ?? queries, database: database, relevance: relevance,
                                      tables: tables, bitsPerTable: bits, probes: probes)
        }
        XCTAssertThrowsError(try run(tables: 0)) { XCTAssertEqual($0 as? FeatureSearchError, .invalidTables(bitsPerTable: 8, tables: 0)) }
        XCTAssertThrowsError(try run(bits: 33)) { XCTAssertEqual($0 as? FeatureSearchError, .invalidTables(bitsPerTable: 33, tables: 2)) }
        XCTAssertThrowsError(try run(probes: 0)) { XCTAssertEqual($0 as? FeatureSearchError, .invalidProbes(0)) }
        let narrow = FeatureMatrix(rows: 25, dimension: 3, values: Array(repeating: 1, count: 75))
        XCTAssertThrowsError(try run(queries: narrow)) { XCTAssertEqual($0 as? FeatureSearchError, .dimensionMismatch(expected: 24, got: 3)) }
    }
}
