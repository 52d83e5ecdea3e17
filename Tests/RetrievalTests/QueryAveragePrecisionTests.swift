import Basics
import Retrieval
import XCTest

/// One query's AP (the TUI's per-query score) must be exactly the evaluator's mAP@all for that
/// query alone, and leaving the query's own item out must equal evaluating without it.
final class QueryAveragePrecisionTests: XCTestCase {
    private func randomCodes(_ count: Int, bits: Int, seed: UInt64) -> BinaryCodes {
        var generator = SeededGenerator(seed: seed)
        return BinaryCodes.fromSigns((0..<count * bits).map { _ in generator.nextInt(below: 2) == 0 ? -1 : 1 }, bits: bits)
    }

    func testMatchesTheEvaluatorForEachQuery() throws {
        let database = randomCodes(500, bits: 16, seed: 1), queries = randomCodes(20, bits: 16, seed: 2)
        var generator = SeededGenerator(seed: 3)
        let databaseLabels = (0..<500).map { _ in generator.nextInt(below: 5) }
        for q in 0..<20 {
            let label = q % 5
            let single = queries.subset([q])
            let expected = RetrievalEvaluator.evaluate(queries: single, database: database,
                                                       relevance: try Relevance(query: .classIDs([label]), database: .classIDs(databaseLabels)),
                                                       threads: 1).meanAveragePrecision
            let ranking = HammingRanking(query: queries, q, database: database)
            XCTAssertEqual(ranking.averagePrecision { databaseLabels[$0] == label }, expected, accuracy: 1e-12)
        }
    }

    func testExcludingAnItemEqualsEvaluatingWithoutIt() throws {
        let database = randomCodes(300, bits: 32, seed: 7)
        var generator = SeededGenerator(seed: 8)
        let labels = (0..<300).map { _ in generator.nextInt(below: 3) }
        let excluded = 42
        let rest = (0..<300).filter { $0 != excluded }
        let expected = RetrievalEvaluator.evaluate(queries: database.subset([excluded]), database: database.subset(rest),
                                                   relevance: try Relevance(query: .classIDs([labels[excluded]]),
                                                                            database: .classIDs(rest.map { labels[$0] })),
                                                   threads: 1).meanAveragePrecision
        let ranking = HammingRanking(query: database, excluded, database: database)
        let got = ranking.averagePrecision(excluding: excluded) { labels[$0] == labels[excluded] }
        XCTAssertEqual(got, expected, accuracy: 1e-12)
        XCTAssertNotEqual(got, ranking.averagePrecision { labels[$0] == labels[excluded] }, "the item itself (distance 0, relevant) raises AP")
    }

    func testNothingRelevantIsZero() {
        let codes = randomCodes(10, bits: 8, seed: 9)
        XCTAssertEqual(HammingRanking(query: codes, 0, database: codes).averagePrecision { _ in false }, 0)
    }
}
