import Foundation
import Basics
import Retrieval
import XCTest

/// LSHIndex tested against exact search the faiss way.
final class LSHIndexTests: XCTestCase {
    static let dimension = 24, bitsPerTable = 8, tables = 4, k = 10

    // MARK: - Against exact search

    func testAgreesWithExactSearchAndRecallNeverFallsWithProbes() throws {
        let (database, queries) = Self.data(seed: 1)
        let index = try Self.index(database, seed: 7)
        var exact = ExactCosineSearch(dimension: Self.dimension)
        try exact.add(database)
        let truth = try exact.search(queries, k: Self.k)
        XCTAssertEqual(index.maxProbes, 256)

        var previousRecall = [Int](repeating: 0, count: queries.rows)
        var probes = 1
        while probes <= index.maxProbes {
            let found = try index.search(queries, k: Self.k, probes: probes)
            XCTAssertEqual(found.queryCount, queries.rows)
            for q in 0..<queries.rows {
                let neighbours = found.neighbours(ofQuery: q)
                let labels = neighbours.map(\.index)
                XCTAssertEqual(Set(labels).count, labels.count, "duplicates at \(probes) probes")
                for n in neighbours {
                    XCTAssertEqual(Double(n.similarity), Self.cosine(queries.row(q), database.row(n.index)), accuracy: 1e-5)
                }
                // Most similar first, ties by index.
                for (a, b) in zip(neighbours, neighbours.dropFirst()) {
                    XCTAssert(a.similarity > b.similarity || (a.similarity == b.similarity && a.index < b.index))
                }
                let recall = Set(labels).intersection(truth.neighbours(ofQuery: q).map(\.index)).count
                XCTAssertGreaterThanOrEqual(recall, previousRecall[q], "query \(q): recall fell at \(probes) probes")
                previousRecall[q] = recall
            }
            // The sweep means something: one probe misses some true neighbours.
            if probes == 1 { XCTAssertLessThan(previousRecall.reduce(0, +), Self.k * queries.rows * 9 / 10) }
            if probes == index.maxProbes { XCTAssertEqual(found, truth, "exhaustive probing must equal exact search") }
            probes *= 2
        }
        XCTAssertEqual(previousRecall, Array(repeating: Self.k, count: queries.rows))
    }

    /// Every bucket probed the slow way (2^K - 1 lookups per table) equals the exhaustive path.
    func testProbingEveryBucketByLookupEqualsExact() throws {
        let (database, queries) = Self.data(seed: 2)
        let index = try Self.index(database, seed: 3)
        let lookedUp = try index.search(queries, k: Self.k, probes: index.maxProbes - 1)
        let exhaustive = try index.search(queries, k: Self.k, probes: index.maxProbes)
        // One bucket short of all: only items in the query's antipodal bucket in all four tables
        // are lost, and those are nearly opposite the query, far from its top k.
        XCTAssertEqual(lookedUp, exhaustive)
        XCTAssertEqual(try index.search(queries, k: Self.k, probes: 1 << 20), exhaustive, "probes are capped at 2^K")
    }

    func testRangeSearchIsASubsetOfExactAndEqualAtMaxProbes() throws {
        let (database, queries) = Self.data(seed: 4)
        let index = try Self.index(database, seed: 5)
        var exact = ExactCosineSearch(dimension: Self.dimension)
        try exact.add(database)
        let truth = try exact.rangeSearch(queries, minSimilarity: 0.8)
        XCTAssertGreaterThan(truth.map(\.count).reduce(0, +), queries.rows)
        XCTAssertEqual(try index.rangeSearch(queries, minSimilarity: 0.8, probes: index.maxProbes), truth)
        let few = try index.rangeSearch(queries, minSimilarity: 0.8, probes: 2)
        for (got, want) in zip(few, truth) {
            XCTAssert(Set(got.map(\.index)).isSubset(of: want.map(\.index)))
            XCTAssert(got.allSatisfy { $0.similarity >= 0.8 })
        }
    }

    /// A stored item is in its own bucket in every table: it finds itself with one probe.
    func testDatabaseItemFindsItselfWithOneProbe() throws {
        let (database, _) = Self.data(seed: 6)
        let index = try Self.index(database, seed: 1)
        let queries = database.subset(stride(from: 0, to: 900, by: 37))
        let found = try index.search(queries, k: 1, probes: 1)
        for (q, item) in stride(from: 0, to: 900, by: 37).enumerated() {
            XCTAssertEqual(found.neighbours(ofQuery: q).first?.index, item)
            XCTAssertEqual(found.similarities[q], 1, accuracy: 1e-5)
        }
    }

    // MARK: - Determinism, storage, threads

    func testDeterministicPerSeedAndRestorable() throws {
        let (database, queries) = Self.data(seed: 8)
        let a = try Self.index(database, seed: 42), b = try Self.index(database, seed: 42)
        XCTAssertEqual(a.hyperplanes, b.hyperplanes)
        XCTAssertEqual(try a.search(queries, k: Self.k, probes: 4), try b.search(queries, k: Self.k, probes: 4))
        XCTAssertNotEqual(a.hyperplanes, try Self.index(database, seed: 43).hyperplanes)

        var restored = try LSHIndex(dimension: Self.dimension, bitsPerTable: Self.bitsPerTable, tables: Self.tables,
                                    hyperplanes: a.hyperplanes)
        try restored.add(database)
        XCTAssertEqual(try restored.search(queries, k: Self.k, probes: 4), try a.search(queries, k: Self.k, probes: 4))
    }

    func testAddingInBatchesEqualsAddingOnce() throws {
        let (database, queries) = Self.data(seed: 9)
        let once = try Self.index(database, seed: 2)
        var batches = try LSHIndex(dimension: Self.dimension, bitsPerTable: Self.bitsPerTable, tables: Self.tables, seed: 2)
        try batches.add(database.subset(0..<100))
        try batches.add(database.subset(100..<100))
        try batches.add(database.subset(100..<637))
        try batches.add(database.subset(637..<database.rows))
        XCTAssertEqual(batches.count, database.rows)
        for t in 0..<Self.tables {
            XCTAssertEqual(batches.bucketSizes(table: t), once.bucketSizes(table: t))
            XCTAssertEqual(once.bucketSizes(table: t).reduce(0, +), database.rows)
        }
        XCTAssertEqual(batches.normalisedFeatures, once.normalisedFeatures)
        XCTAssertEqual(try batches.search(queries, k: Self.k, probes: 3), try once.search(queries, k: Self.k, probes: 3))
    }

    func testThreadsGiveTheSameResults() throws {
        let (database, queries) = Self.data(seed: 10)
        let index = try Self.index(database, seed: 4)
        XCTAssertEqual(try index.search(queries, k: Self.k, probes: 8, threads: 2),
                       try index.search(queries, k: Self.k, probes: 8, threads: 1))
        var exact = ExactCosineSearch(dimension: Self.dimension)
        try exact.add(database)
        XCTAssertEqual(try exact.search(queries, k: Self.k, threads: 2), try exact.search(queries, k: Self.k))
    }

    // MARK: - Edges and errors

    func testPadsWithMinusOneWhenFewerCandidatesThanK() throws {
        var g = SeededGenerator(seed: 12)
        let database = FeatureMatrix(rows: 5, dimension: 16, values: g.normals(count: 80))
        var index = try LSHIndex(dimension: 16, bitsPerTable: 16, tables: 2, seed: 1)
        try index.add(database)
        let query = FeatureMatrix(rows: 2, dimension: 16, values: g.normals(count: 16) + [Float](repeating: 0, count: 16))
        for probes in [1, 4, index.maxProbes] {
            let found = try index.search(query, k: 8, probes: probes)
            for q in 0..<2 {
                let row = found.labels[q * 8 ..< q * 8 + 8]
                let hits = row.prefix { $0 >= 0 }.count
                XCTAssert(row.dropFirst(hits).allSatisfy { $0 == -1 })
                XCTAssert(found.similarities[q * 8 + hits ..< q * 8 + 8].allSatisfy { $0 == CosineSearchResults.padSimilarity })
                XCTAssertEqual(found.neighbours(ofQuery: q).count, hits)
                if probes == index.maxProbes { XCTAssertEqual(hits, 5) }
            }
        }
        // A zero query is orthogonal to everything.
        XCTAssertEqual(try index.search(query, k: 8, probes: index.maxProbes).similarities[8 ..< 13], [0, 0, 0, 0, 0])
    }

    func testEmptyIndex() throws {
        let index = try LSHIndex(dimension: 8, bitsPerTable: 4, tables: 3, seed: 0)
        let queries = FeatureMatrix(rows: 3, dimension: 8, values: (0..<24).map(Float.init))
        let found = try index.search(queries, k: 5, probes: 4)
        XCTAssertEqual(index.count, 0)
        XCTAssertEqual(found.labels, Array(repeating: -1, count: 15))
        XCTAssertEqual(found.neighbours(ofQuery: 2), [])
        XCTAssertEqual(try index.rangeSearch(queries, minSimilarity: -1), [[], [], []])
        XCTAssertEqual(try ExactCosineSearch(dimension: 8).search(queries, k: 5).labels, Array(repeating: -1, count: 15))
        XCTAssertEqual(try index.search(FeatureMatrix(rows: 0, dimension: 8, values: []), k: 5).labels, [])
    }

    /// k <= 0, probes <= 0, bad table shapes, wrong widths and NaNs are typed errors, not traps.
    func testInvalidArgumentsAreTypedErrors() throws {
        var index = try LSHIndex(dimension: 4, bitsPerTable: 4, tables: 2, seed: 0)
        let row = FeatureMatrix(rows: 1, dimension: 4, values: [1, 2, 3, 4])
        try index.add(row)
        func expect(_ error: FeatureSearchError, _ body: () throws -> Void) {
            XCTAssertThrowsError(try body()) { XCTAssertEqual($0 as? FeatureSearchError, error) }
            XCTAssertNotNil(error.errorDescription)
        }
        expect(.invalidK(0)) { _ = try index.search(row, k: 0) }
        expect(.invalidK(-3)) { _ = try index.search(row, k: -3) }
        expect(.invalidK(0)) { _ = try ExactCosineSearch(dimension: 4).search(row, k: 0) }
        expect(.invalidProbes(0)) { _ = try index.search(row, k: 1, probes: 0) }
        expect(.invalidProbes(-1)) { _ = try index.rangeSearch(row, minSimilarity: 0, probes: -1) }
        expect(.dimensionMismatch(expected: 4, got: 3)) { _ = try index.search(FeatureMatrix(rows: 1, dimension: 3, values: [1, 2, 3]), k: 1) }
        expect(.dimensionMismatch(expected: 4, got: 3)) { try index.add(FeatureMatrix(rows: 1, dimension: 3, values: [1, 2, 3])) }
        expect(.nonFiniteFeature(row: 1)) { try index.add(FeatureMatrix(rows: 2, dimension: 4, values: [1, 1, 1, 1, 1, .nan, 1, 1])) }
        XCTAssertEqual(index.count, 1, "a failed add leaves the index as it was")
        expect(.invalidTables(bitsPerTable: 0, tables: 2)) { _ = try LSHIndex(dimension: 4, bitsPerTable: 0, tables: 2, seed: 0) }
        expect(.invalidTables(bitsPerTable: 33, tables: 2)) { _ = try LSHIndex(dimension: 4, bitsPerTable: 33, tables: 2, seed: 0) }
        expect(.invalidTables(bitsPerTable: 8, tables: 0)) { _ = try LSHIndex(dimension: 4, bitsPerTable: 8, tables: 0, seed: 0) }
        expect(.invalidDimension(0)) { _ = try LSHIndex(dimension: 0, bitsPerTable: 8, tables: 1, seed: 0) }
        XCTAssertThrowsError(try LSHIndex(dimension: 4, bitsPerTable: 4, tables: 2, hyperplanes: [1, 2, 3]))
    }

    /// K = 24 (16M buckets per table) stays compact and fast: only non-empty buckets are stored.
    func testWideKeysStoreOnlyNonEmptyBuckets() throws {
        let (database, queries) = Self.data(seed: 13)
        var index = try LSHIndex(dimension: Self.dimension, bitsPerTable: 24, tables: 2, seed: 3)
        try index.add(database)
        XCTAssertLessThanOrEqual(index.bucketSizes(table: 0).count, database.rows)
        let found = try index.search(queries, k: Self.k, probes: 64)
        XCTAssertEqual(found.queryCount, queries.rows)
        XCTAssertEqual(try index.search(queries, k: Self.k, probes: index.maxProbes),
                       try { var e = ExactCosineSearch(dimension: Self.dimension); try e.add(database); return try e.search(queries, k: Self.k) }())
    }

    // MARK: - Multi-probe sequence

    func testMultiProbeOrderIsByTotalMarginFlipped() {
        // |margins| sorted: bit 4 (0.05), bit 0 (0.1), bit 2 (0.2), bit 1 (0.5), bit 3 (0.9).
        let margins: [Float] = [0.1, -0.5, 0.2, 0.9, -0.05]
        let masks = MultiProbeSequence.flipMasks(margins: margins, count: 6)
        // own bucket; {4}; {0}; {4,0} = 0.15 comes before {2} = 0.2; {2}; {4,2} = 0.25.
        XCTAssertEqual(masks, [0b00000, 0b10000, 0b00001, 0b10001, 0b00100, 0b10100])

        var g = SeededGenerator(seed: 1)
        let random = g.normals(count: 7)
        let all = MultiProbeSequence.flipMasks(margins: random, count: 1000)
        XCTAssertEqual(all.count, 128, "capped at 2^K")
        XCTAssertEqual(Set(all).count, 128)
        XCTAssertEqual(all.first, 0)
        let costs = all.map { mask in (0..<7).reduce(0.0) { mask >> UInt32($1) & 1 == 1 ? $0 + Double(abs(random[$1])) : $0 } }
        for (a, b) in zip(costs, costs.dropFirst()) { XCTAssertLessThanOrEqual(a, b + 1e-9) }
        XCTAssertEqual(MultiProbeSequence.flipMasks(margins: random, count: 20), Array(all.prefix(20)))
    }

    // MARK: - Helpers

    /// 950 points in 12 clusters plus 50 exact duplicates (ties in the exact ranking), and 25
    /// queries near database points.
    static func data(seed: UInt64) -> (FeatureMatrix, FeatureMatrix) {
        var g = SeededGenerator(seed: seed)
        let centres = (0..<12).map { _ in g.normals(count: dimension) }
        var values: [Float] = []
        for i in 0..<950 { values += centres[i % 12].map { $0 + 0.6 * g.nextNormal() } }
        for i in 0..<50 { values += values[(i * 17) * dimension ..< (i * 17 + 1) * dimension] }
        var queries: [Float] = []
        for q in 0..<25 { queries += values[(q * 31) * dimension ..< (q * 31 + 1) * dimension].map { $0 + 0.3 * g.nextNormal() } }
        return (FeatureMatrix(rows: 1000, dimension: dimension, values: values),
                FeatureMatrix(rows: 25, dimension: dimension, values: queries))
    }

    static func index(_ database: FeatureMatrix, seed: UInt64) throws -> LSHIndex {
        var index = try LSHIndex(dimension: dimension, bitsPerTable: bitsPerTable, tables: tables, seed: seed)
        try index.add(database)
        return index
    }

    static func cosine(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for (x, y) in zip(a, b) {
            dot += Double(x) * Double(y)
            na += Double(x) * Double(x)
            nb += Double(y) * Double(y)
        }
        return dot / (na * nb).squareRoot()
    }
}
