import Interchange
import Foundation
import Retrieval
import XCTest

final class MetricsTests: XCTestCase {
    // MARK: golden values from scripts/reference_metrics.py

    func testEveryGoldenCaseMatchesTheNumpyReference() throws {
        let (folder, cases) = try Self.goldenCases()
        XCTAssertGreaterThanOrEqual(cases.count, 12)
        for golden in cases {
            let name = try XCTUnwrap(golden["name"] as? String)
            let packed = golden["packed"] as? Int
            func path(_ key: String) throws -> String { folder + "/" + (try XCTUnwrap(golden[key] as? String, "\(name) lacks \(key)")) }
            let queryCodes = try path("query_codes"), dbCodes = try path("db_codes")
            let queries = try NPYInputs.codes(NPYFile.read(queryCodes), source: queryCodes, packedBits: packed)
            let database = try NPYInputs.codes(NPYFile.read(dbCodes), source: dbCodes, packedBits: packed)
            let relevance = try Relevance(query: NPYInputs.labels(NPYFile.read(path("query_labels")), source: "query labels"),
                                          database: NPYInputs.labels(NPYFile.read(path("db_labels")), source: "db labels"))
            let metrics = RetrievalEvaluator.evaluate(queries: queries, database: database, relevance: relevance,
                                                      topK: golden["topk"] as? Int)

            XCTAssertEqual(metrics.bits, golden["bits"] as? Int, name)
            XCTAssertEqual(metrics.queries, golden["queries"] as? Int, name)
            XCTAssertEqual(metrics.databaseCount, golden["database"] as? Int, name)
            XCTAssertEqual(metrics.isMultiLabel, golden["multi_label"] as? Bool, name)
            XCTAssertEqual(metrics.topK, golden["topk_effective"] as? Int, name)
            try assertGolden(metrics.meanAveragePrecision, golden["map"], "\(name) map")
            let pAt = try XCTUnwrap(golden["p_at"] as? [String: Double]), rAt = try XCTUnwrap(golden["r_at"] as? [String: Double])
            XCTAssertEqual(Set(pAt.keys), ["10", "100", "1000"], name)
            for k in [10, 100, 1000] {
                try assertGolden(metrics.precision(at: k), pAt[String(k)], "\(name) P@\(k)")
                try assertGolden(metrics.recall(at: k), rAt[String(k)], "\(name) R@\(k)")
            }
            try assertGolden(metrics.precision(withinRadius: 2), golden["p_r2"], "\(name) p_r2")
            try assertGolden(metrics.recall(withinRadius: 2), golden["r_r2"], "\(name) r_r2")
            let curve = try XCTUnwrap(golden["pr_curve"] as? [String: [Double]])
            XCTAssertEqual(curve["precision"]?.count, metrics.bits + 1, name)
            for (r, (p, rc)) in zip(try XCTUnwrap(curve["precision"]), try XCTUnwrap(curve["recall"])).enumerated() {
                try assertGolden(metrics.precisionByRadius[r], p, "\(name) precision r=\(r)")
                try assertGolden(metrics.recallByRadius[r], rc, "\(name) recall r=\(r)")
            }
        }
    }

    func testResultDoesNotDependOnTheThreadCount() throws {
        let (folder, cases) = try Self.goldenCases()
        let golden = try XCTUnwrap(cases.first { ($0["name"] as? String) == "single16_pm1f32_all" })
        let q = folder + "/" + (golden["query_codes"] as! String), d = folder + "/" + (golden["db_codes"] as! String)
        let queries = try NPYInputs.codes(NPYFile.read(q), source: q), database = try NPYInputs.codes(NPYFile.read(d), source: d)
        let relevance = try Relevance(query: NPYInputs.labels(NPYFile.read(folder + "/" + (golden["query_labels"] as! String)), source: "q"),
                                      database: NPYInputs.labels(NPYFile.read(folder + "/" + (golden["db_labels"] as! String)), source: "d"))
        let one = RetrievalEvaluator.evaluate(queries: queries, database: database, relevance: relevance, threads: 1)
        for threads in [2, 3, 8] {
            XCTAssertEqual(RetrievalEvaluator.evaluate(queries: queries, database: database, relevance: relevance, threads: threads), one)
        }
    }

    // MARK: hand-computed cases

    func testAveragePrecisionOfHitsAtPositionsOneAndThree() throws {
        // Distances 0, 1, 2, 3 from the query; items 0 and 2 share its class.
        let query = Self.codes([0x00]), database = Self.codes([0x00, 0x01, 0x03, 0x07])
        let relevance = try Relevance(query: .classIDs([5]), database: .classIDs([5, 1, 5, 2]))
        let metrics = RetrievalEvaluator.evaluate(queries: query, database: database, relevance: relevance)
        XCTAssertEqual(metrics.meanAveragePrecision, (1.0 / 1 + 2.0 / 3) / 2, accuracy: 1e-12)
        XCTAssertEqual(metrics.topK, 4)
        // k beyond the database: both hits, still divided by k (DeepHash-pytorch's pr_curve).
        XCTAssertEqual(try XCTUnwrap(metrics.precision(at: 10)), 2.0 / 10, accuracy: 1e-12)
        XCTAssertEqual(metrics.recall(at: 10), 1)
        // Radius 2 retrieves items 0, 1, 2: two of three relevant, both relevant found.
        XCTAssertEqual(metrics.precision(withinRadius: 2), 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(metrics.recall(withinRadius: 2), 1)
        XCTAssertEqual(metrics.precisionByRadius[0], 1)
        XCTAssertEqual(metrics.recallByRadius[0], 0.5)
        XCTAssertEqual(metrics.precisionByRadius[3], 0.5)

        // Top 2 holds one hit, at position 1: AP 1.
        let top2 = RetrievalEvaluator.evaluate(queries: query, database: database, relevance: relevance, topK: 2)
        XCTAssertEqual(top2.meanAveragePrecision, 1)
        XCTAssertEqual(top2.topK, 2)
    }

    func testTiesAreBrokenByDatabaseIndex() throws {
        // Item 2 at distance 0, items 0 and 1 tied at distance 1; only item 1 is relevant. The
        // stable order is 2, 0, 1: the hit sits at position 3 (AP 1/3), never 2.
        let query = Self.codes([0x10]), database = Self.codes([0x11, 0x30, 0x10])
        let ranking = HammingRanking(query: query, 0, database: database)
        XCTAssertEqual(ranking.order, [2, 0, 1])
        XCTAssertEqual(ranking.distances, [0, 1, 1])
        XCTAssertEqual(Array(ranking.runStarts.prefix(4)), [0, 1, 3, 3])
        let relevance = try Relevance(query: .classIDs([1]), database: .classIDs([0, 1, 0]))
        let metrics = RetrievalEvaluator.evaluate(queries: query, database: database, relevance: relevance)
        XCTAssertEqual(metrics.meanAveragePrecision, 1.0 / 3, accuracy: 1e-12)
        // The top 2 ends inside the tied run, before the hit: AP 0.
        XCTAssertEqual(RetrievalEvaluator.evaluate(queries: query, database: database, relevance: relevance, topK: 2).meanAveragePrecision, 0)
    }

    func testQueriesWithoutRelevantHitsCountZeroAndStillDivide() throws {
        // Query 0: its one relevant item is nearest (AP 1). Query 1: class 9 is nowhere.
        // Query 2: its relevant item is ranked last, beyond top 2.
        let queries = Self.codes([0x00, 0x00, 0xFF]), database = Self.codes([0x00, 0x0F, 0xFE])
        let relevance = try Relevance(query: .classIDs([0, 9, 0]), database: .classIDs([0, 1, 2]))
        let all = RetrievalEvaluator.evaluate(queries: queries, database: database, relevance: relevance)
        // Query 2 ranks 2 (d1), 1 (d4), 0 (d8): the hit at position 3, AP 1/3.
        XCTAssertEqual(all.meanAveragePrecision, (1 + 0 + 1.0 / 3) / 3, accuracy: 1e-12)
        let top2 = RetrievalEvaluator.evaluate(queries: queries, database: database, relevance: relevance, topK: 2)
        XCTAssertEqual(top2.meanAveragePrecision, 1.0 / 3, accuracy: 1e-12)
        // Radius 2: query 0 retrieves item 0 (precision 1); query 1 retrieves item 0 but nothing is
        // relevant (0, recall 0); query 2 retrieves item 2, not relevant (0).
        XCTAssertEqual(all.precision(withinRadius: 2), 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(all.recall(withinRadius: 2), 1.0 / 3, accuracy: 1e-12)
    }

    func testQueriesRetrievingNothingWithinTheRadiusCountPrecisionZero() throws {
        let queries = Self.codes([0x00, 0xF0]), database = Self.codes([0x01, 0x0F])
        let relevance = try Relevance(query: .classIDs([3, 3]), database: .classIDs([3, 3]))
        let metrics = RetrievalEvaluator.evaluate(queries: queries, database: database, relevance: relevance)
        // Query 0 finds item 0 (d1) within 2: precision 1, recall 1/2. Query 1 is at distances 5
        // and 8: nothing retrieved, precision 0 and recall 0 (thulab/DeepHash).
        XCTAssertEqual(metrics.precision(withinRadius: 2), 0.5)
        XCTAssertEqual(metrics.recall(withinRadius: 2), 0.25)
        XCTAssertEqual(metrics.precisionByRadius[8], 1)
        XCTAssertEqual(metrics.recallByRadius[8], 1)
        XCTAssertEqual(metrics.precision(withinRadius: 100), 1)
    }

    func testMultiLabelRelevanceIsASharedLabel() throws {
        let queries = MultiHotLabels(rows: [[true, false, true], [false, false, false]])
        let database = MultiHotLabels(rows: [[false, false, true], [false, true, false], [true, true, true]])
        let relevance = try Relevance(query: .multiHot(queries), database: .multiHot(database))
        XCTAssertTrue(relevance.isMultiLabel)
        XCTAssertEqual((0..<3).map { relevance.isRelevant(query: 0, database: $0) }, [true, false, true])
        XCTAssertEqual((0..<3).map { relevance.isRelevant(query: 1, database: $0) }, [false, false, false])

        // Class ids meet multi-hot rows as one-hot rows.
        let mixed = try Relevance(query: .classIDs([1, 2]), database: .multiHot(database))
        XCTAssertEqual((0..<3).map { mixed.isRelevant(query: 0, database: $0) }, [false, true, true])
        XCTAssertEqual((0..<3).map { mixed.isRelevant(query: 1, database: $0) }, [true, false, true])
        XCTAssertThrowsError(try Relevance(query: .classIDs([3]), database: .multiHot(database))) { error in
            XCTAssertEqual((error as? RelevanceError)?.side, .query)
        }
        XCTAssertThrowsError(try Relevance(query: .multiHot(MultiHotLabels(rows: [[true, false]])), database: .multiHot(database))) { error in
            XCTAssertEqual((error as? RelevanceError)?.side, .database)
        }
    }

    // MARK: against a plain implementation, on paths the golden cases do not reach

    func testRankingIsAStableSortOfDistances() {
        for bits in [8, 64, 100, 200, 1024] {
            var generator = SystemRandomNumberGenerator()
            let words = (bits + 63) / 64
            // Few distinct codes, so many ties.
            let pool = (0..<5).map { _ in (0..<words).map { w in UInt64.random(in: 0...UInt64.max, using: &generator) & Self.mask(bits, word: w) } }
            let database = BinaryCodes(bits: bits, words: (0..<300).flatMap { _ in pool.randomElement()! })
            let query = BinaryCodes(bits: bits, words: pool[0])
            let ranking = HammingRanking(query: query, 0, database: database)
            let expected = (0..<300).map { (query.distance(0, to: database, $0), $0) }.sorted { $0 < $1 }
            XCTAssertEqual(ranking.order, expected.map(\.1), "bits \(bits)")
            XCTAssertEqual(ranking.distances, expected.map(\.0), "bits \(bits)")
        }
    }

    func testMatchesAPlainImplementationForLongCodesAndWideLabels() throws {
        var generator = SystemRandomNumberGenerator()
        for (bits, classes, multi) in [(96, 10, false), (200, 70, true), (64, 130, true), (1024, 3, false)] {
            let words = (bits + 63) / 64
            let prototypes = (0..<4).map { _ in (0..<words).map { w in UInt64.random(in: 0...UInt64.max, using: &generator) & Self.mask(bits, word: w) } }
            func code() -> [UInt64] {   // a prototype with a few bits flipped: ties and small radii
                var c = prototypes.randomElement(using: &generator)!
                for _ in 0..<Int.random(in: 0...3, using: &generator) { let j = Int.random(in: 0..<bits, using: &generator); c[j / 64] ^= 1 << UInt64(j % 64) }
                return c
            }
            func labels(_ n: Int) -> LabelSet {
                multi ? .multiHot(MultiHotLabels(count: n, classes: classes) { _, _ in Int.random(in: 0..<classes, using: &generator) < 2 })
                      : .classIDs((0..<n).map { _ in Int.random(in: 0..<classes, using: &generator) })
            }
            let queries = BinaryCodes(bits: bits, words: (0..<70).flatMap { _ in code() })
            let database = BinaryCodes(bits: bits, words: (0..<150).flatMap { _ in code() })
            let relevance = try Relevance(query: labels(70), database: labels(150))
            for topK in [nil, 7, 150, 1000] {
                let metrics = RetrievalEvaluator.evaluate(queries: queries, database: database, relevance: relevance, topK: topK, cutoffs: [1, 10, 100, 1000], threads: 2)
                let plain = Self.plainMetrics(queries, database, relevance, topK: topK, cutoffs: [1, 10, 100, 1000])
                XCTAssertEqual(metrics.meanAveragePrecision, plain.map, accuracy: 1e-9, "bits \(bits) topK \(String(describing: topK))")
                for (a, b) in zip(metrics.precisionAt, plain.precisionAt) { XCTAssertEqual(a, b, accuracy: 1e-9) }
                for (a, b) in zip(metrics.recallAt, plain.recallAt) { XCTAssertEqual(a, b, accuracy: 1e-9) }
                for r in 0...bits {
                    XCTAssertEqual(metrics.precisionByRadius[r], plain.precisionByRadius[r], accuracy: 1e-9, "r \(r)")
                    XCTAssertEqual(metrics.recallByRadius[r], plain.recallByRadius[r], accuracy: 1e-9, "r \(r)")
                }
            }
        }
    }

    // MARK: helpers

    /// The definitions spelled out over an explicit ranking, query by query.
    private static func plainMetrics(_ queries: BinaryCodes, _ database: BinaryCodes, _ relevance: Relevance, topK: Int?, cutoffs: [Int])
        -> (map: Double, precisionAt: [Double], recallAt: [Double], precisionByRadius: [Double], recallByRadius: [Double]) {
        let n = database.count, bits = database.bits, k = min(topK ?? n, n), queryCount = Double(queries.count)
        var map = 0.0, pAt = [Double](repeating: 0, count: cutoffs.count), rAt = pAt
        var pRadius = [Double](repeating: 0, count: bits + 1), rRadius = pRadius
        for q in 0..<queries.count {
            let ranking = HammingRanking(query: queries, q, database: database)
            let relevant = ranking.order.map { relevance.isRelevant(query: q, database: $0) }
            let total = relevant.filter { $0 }.count
            var hits = 0, sum = 0.0
            for p in 0..<k where relevant[p] { hits += 1; sum += Double(hits) / Double(p + 1) }
            if hits > 0 { map += sum / Double(hits) / queryCount }
            for (c, cutoff) in cutoffs.enumerated() {
                let found = relevant.prefix(cutoff).filter { $0 }.count
                pAt[c] += Double(found) / Double(cutoff) / queryCount
                if total > 0 { rAt[c] += Double(found) / Double(total) / queryCount }
            }
            var within = 0, found = 0
            for r in 0...bits {
                for p in 0..<n where ranking.distances[p] == r {
                    within += 1
                    if relevant[p] { found += 1 }
                }
                if within > 0 { pRadius[r] += Double(found) / Double(within) / queryCount }
                if total > 0 { rRadius[r] += Double(found) / Double(total) / queryCount }
            }
        }
        return (map, pAt, rAt, pRadius, rRadius)
    }

    /// 8-bit codes, one per value.
    private static func codes(_ values: [UInt64]) -> BinaryCodes { BinaryCodes(bits: 8, words: values) }

    private static func mask(_ bits: Int, word: Int) -> UInt64 {
        let used = min(64, bits - 64 * word)
        return used == 64 ? .max : (1 << UInt64(used)) - 1
    }

    static func goldenCases() throws -> (folder: String, cases: [[String: Any]]) {
        let fixtures = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil), "no Fixtures in the test bundle")
        let folder = fixtures.appendingPathComponent("metrics").path
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/golden.json"))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        return (folder, try XCTUnwrap(json["cases"] as? [[String: Any]]))
    }

    private func assertGolden(_ actual: Double?, _ expected: Any?, _ message: String, tolerance: Double = 1e-6,
                             file: StaticString = #filePath, line: UInt = #line) throws {
        let actual = try XCTUnwrap(actual, message, file: file, line: line)
        let expected = try XCTUnwrap(expected as? Double, "\(message): no golden value", file: file, line: line)
        XCTAssertEqual(actual, expected, accuracy: tolerance, message, file: file, line: line)
    }
}
