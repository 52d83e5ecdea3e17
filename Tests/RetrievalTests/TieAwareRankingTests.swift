import Basics
import Foundation
import TestSupport
import XCTest
@testable import Retrieval

/// Tie-aware metrics against their definition: the mean over every order of the tied items,
/// enumerated outright (every permutation of every distance group) on small databases.
final class TieAwareRankingTests: XCTestCase {
    /// All orderings consistent with the distances: one permutation per distance group.
    private func orderings(_ groups: [[Int]]) -> [[Int]] {
        func permutations(_ items: [Int]) -> [[Int]] {
            guard items.count > 1 else { return [items] }
            return items.indices.flatMap { i -> [[Int]] in
                var rest = items
                let first = rest.remove(at: i)
                return permutations(rest).map { [first] + $0 }
            }
        }
        return groups.reduce([[]]) { prefixes, group in
            prefixes.flatMap { prefix in permutations(group).map { prefix + $0 } }
        }
    }

    /// CalcTopMap's AP and pr_curve's hits over one explicit ranking.
    private func scores(_ ranking: [Int], relevant: Set<Int>, topK: Int, cutoffs: [Int]) -> (ap: Double, hits: [Int]) {
        var found = 0, sum = 0.0, inTop = 0
        for (position, item) in ranking.enumerated() where relevant.contains(item) {
            found += 1
            if position < topK { sum += Double(found) / Double(position + 1); inTop += 1 }
        }
        let hits = cutoffs.map { k in ranking.prefix(k).filter(relevant.contains).count }
        return (inTop > 0 ? sum / Double(inTop) : 0, hits)
    }

    func testTieAwareMetricsAreTheMeanOverEveryOrderOfTiedItems() throws {
        var generator = SeededGenerator(seed: 42)
        var cases = 0
        for trial in 0..<60 {
            let count = 4 + Int(generator.next() % 5)            // 4...8 database items
            let palette: [UInt64] = [0x00, 0x01, 0x03, 0x0F, 0xFF]
            var values: [UInt64] = []
            for _ in 0..<count { values.append(palette[Int(generator.next() % 3) + trial % 3]) }
            let database = BinaryCodes(bits: 8, words: values)
            let queryValues: [UInt64] = [0x00, 0x07]
            let queries = BinaryCodes(bits: 8, words: queryValues)
            let classes = (0..<count).map { _ in Int(generator.next() % 3) }
            let queryClasses = [0, 1]
            let topK = trial % 2 == 0 ? count : 1 + Int(generator.next() % UInt64(count - 1))
            let cutoffs = [1, 2, 3, 5, 10]
            let relevance = try Relevance(query: .classIDs(queryClasses), database: .classIDs(classes))
            let metrics = RetrievalEvaluator.evaluate(queries: queries, database: database, relevance: relevance, topK: topK,
                                                      cutoffs: cutoffs, threads: 1)
            let tieAware = try XCTUnwrap(metrics.tieAware)

            var mapSum = 0.0
            var precisionSums = [Double](repeating: 0, count: cutoffs.count), recallSums = precisionSums
            for q in 0..<queries.count {
                let distances = (0..<count).map { database.distance($0, to: queries, q) }
                let groups = (0...8).map { d in (0..<count).filter { distances[$0] == d } }.filter { !$0.isEmpty }
                let relevant = Set((0..<count).filter { classes[$0] == queryClasses[q] })
                let all = orderings(groups)
                var ap = 0.0, hits = [Double](repeating: 0, count: cutoffs.count)
                for ranking in all {
                    let s = scores(ranking, relevant: relevant, topK: topK, cutoffs: cutoffs)
                    ap += s.ap
                    for c in cutoffs.indices { hits[c] += Double(s.hits[c]) }
                }
                mapSum += ap / Double(all.count)
                for c in cutoffs.indices where !relevant.isEmpty {
                    precisionSums[c] += hits[c] / Double(all.count) / Double(cutoffs[c])
                    recallSums[c] += hits[c] / Double(all.count) / Double(relevant.count)
                }
                cases += all.count
            }
            let n = Double(queries.count)
            XCTAssertEqual(tieAware.meanAveragePrecision, mapSum / n, accuracy: 1e-9, "trial \(trial), top \(topK)")
            for c in cutoffs.indices {
                XCTAssertEqual(tieAware.precisionAt[c], precisionSums[c] / n, accuracy: 1e-9, "trial \(trial) P@\(cutoffs[c])")
                XCTAssertEqual(tieAware.recallAt[c], recallSums[c] / n, accuracy: 1e-9, "trial \(trial) R@\(cutoffs[c])")
            }
        }
        XCTAssertGreaterThan(cases, 1000, "the trials must hold real ties")
    }

    func testWithoutTiesTheTieAwareValuesAreTheFieldsValues() throws {
        // Every database code at its own distance from the query: one order, the same numbers.
        let database = BinaryCodes(bits: 8, words: [0x00, 0x01, 0x03, 0x07, 0x0F, 0x1F])
        let queries = BinaryCodes(bits: 8, words: [0x00])
        let relevance = try Relevance(query: .classIDs([1]), database: .classIDs([0, 1, 0, 1, 1, 0]))
        let metrics = RetrievalEvaluator.evaluate(queries: queries, database: database, relevance: relevance, topK: 4,
                                                  cutoffs: [2, 4], threads: 1)
        let tieAware = try XCTUnwrap(metrics.tieAware)
        XCTAssertEqual(tieAware.meanAveragePrecision, metrics.meanAveragePrecision, accuracy: 1e-12)
        XCTAssertEqual(tieAware.precisionAt, metrics.precisionAt)
        XCTAssertEqual(tieAware.recallAt, metrics.recallAt)
    }

    func testOneTieGroupOfAllItemsGivesTheBaseRate() throws {
        // 10 identical codes, 3 relevant: expected P@k is 3/10 at every k <= 10.
        let database = BinaryCodes(bits: 8, words: [UInt64](repeating: 0x5A, count: 10))
        let queries = BinaryCodes(bits: 8, words: [0x5A])
        let relevance = try Relevance(query: .classIDs([1]), database: .classIDs([1, 0, 0, 1, 0, 0, 0, 1, 0, 0]))
        let metrics = RetrievalEvaluator.evaluate(queries: queries, database: database, relevance: relevance, cutoffs: [1, 5, 10],
                                                  threads: 1)
        XCTAssertEqual(metrics.precisionAt[0], 1)  // index order puts item 0 (relevant) first
        let expected: [Double] = [0.3, 0.3, 0.3]
        XCTAssertEqual(try XCTUnwrap(metrics.tieAware).precisionAt, expected, accuracy: 1e-12)
    }
}

private func XCTAssertEqual(_ a: [Double], _ b: [Double], accuracy: Double, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}
