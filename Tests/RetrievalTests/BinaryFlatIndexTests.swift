import Retrieval
import XCTest

final class BinaryFlatIndexTests: XCTestCase {
    /// Random codes from a tiny deterministic generator (tests must not depend on the
    /// generator they check elsewhere).
    private func randomCodes(count: Int, bits: Int, seed: UInt64, density: Double = 0.5) -> BinaryCodes {
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            var z = state
            z = (z ^ (z >> 33)) &* 0xff51afd7ed558ccd
            return z ^ (z >> 33)
        }
        var values = [Float](repeating: -1, count: count * bits)
        for i in values.indices where Double(next() % 1_000_000) / 1_000_000 < density { values[i] = 1 }
        return BinaryCodes.fromSigns(values, bits: bits)
    }

    /// The definition: distances to every code, stable-sorted (ties by database index).
    private func bruteForce(_ queries: BinaryCodes, _ database: BinaryCodes, k: Int) -> [[HammingNeighbour]] {
        (0..<queries.count).map { q in
            let all = (0..<database.count).map { HammingNeighbour(index: $0, distance: queries.distance(q, to: database, $0)) }
            return Array(all.sorted { ($0.distance, $0.index) < ($1.distance, $1.index) }.prefix(k))
        }
    }

    /// Every kernel this CPU runs (the AVX-512 one only where the CPU has it).
    private let kernels = HammingKernel.allCases.filter(\.isSupported)

    func testSearchEqualsBruteForceForManyLengthsWithTies() {
        for bits in [8, 12, 16, 48, 64, 100, 128, 200, 256, 1024] {
            // Short codes tie constantly, which is what the tie rule is about.
            let database = randomCodes(count: 3_000, bits: bits, seed: UInt64(bits))
            let queries = randomCodes(count: 7, bits: bits, seed: UInt64(bits) + 99)
            for kernel in kernels {
            let index = BinaryFlatIndex(codes: database, kernel: kernel)
            for k in [1, 10, 100] {
                let expected = bruteForce(queries, database, k: k)
                let batch = index.search(queries, k: k)
                for q in 0..<queries.count {
                    XCTAssertEqual(batch.neighbours(ofQuery: q), expected[q], "bits \(bits) k \(k) query \(q) (batch, \(kernel))")
                    let single = index.search(queries.subset([q]), k: k)
                    XCTAssertEqual(single.neighbours(ofQuery: 0), expected[q], "bits \(bits) k \(k) query \(q) (single, \(kernel))")
                }
            }
            }
        }
    }

    func testLargeDatabaseAcrossThreadsAndAllTies() {
        // 300,000 codes: the single-query path splits the database over two threads and
        // the collector compacts many times.
        let database = randomCodes(count: 300_000, bits: 64, seed: 7)
        let queries = randomCodes(count: 3, bits: 64, seed: 8)
        let expected = bruteForce(queries, database, k: 100)
        for kernel in kernels {
        let index = BinaryFlatIndex(codes: database, kernel: kernel)
        for threads in [1, 2] {
            for q in 0..<3 {
                XCTAssertEqual(index.search(queries.subset([q]), k: 100, threads: threads).neighbours(ofQuery: 0), expected[q])
            }
            let batch = index.search(queries, k: 100, threads: threads)
            XCTAssertEqual((0..<3).map { batch.neighbours(ofQuery: $0) }, expected)
        }
        }
        // Every code equal: the answer is the first k indices, whatever the threads.
        for kernel in kernels {
            let same = BinaryFlatIndex(codes: BinaryCodes(bits: 64, words: Array(repeating: 0xABCD, count: 200_000)), kernel: kernel)
            let result = same.search(BinaryCodes(bits: 64, words: [0xABCD]), k: 1_500)
            XCTAssertEqual(result.labels, Array(0..<1_500), "\(kernel)")
            XCTAssertEqual(Set(result.distances), [0])
        }
    }

    func testTheAVX512KernelRunsWhereTheCPUHasIt() throws {
        // On the development and CI machines (AMD EPYC with AVX-512 VPOPCNTDQ) both kernels
        // are exercised above; elsewhere this says plainly that only one was.
        guard HammingKernel.best == .avx512 else {
            throw XCTSkip("this CPU has no AVX-512 VPOPCNTDQ: only the portable kernel was tested")
        }
        XCTAssertEqual(kernels, [.portable, .avx512])
    }

    func testShortDatabasePadsLikeFaiss() {
        let index = BinaryFlatIndex(codes: BinaryCodes(bits: 16, words: [0b1, 0b11]))
        let result = index.search(BinaryCodes(bits: 16, words: [0]), k: 4)
        XCTAssertEqual(result.labels, [0, 1, -1, -1])
        XCTAssertEqual(result.distances, [1, 2, .max, .max])
        let empty = BinaryFlatIndex(bits: 16).search(BinaryCodes(bits: 16, words: [0]), k: 2)
        XCTAssertEqual(empty.labels, [-1, -1])
    }

    func testAddAppendsInOrder() {
        var index = BinaryFlatIndex(bits: 128)
        index.add(BinaryCodes(bits: 128, words: [1, 0, 3, 0]))
        index.add(BinaryCodes(bits: 128, words: [0, 0]))
        XCTAssertEqual(index.count, 3)
        XCTAssertEqual(index.search(BinaryCodes(bits: 128, words: [0, 0]), k: 3).labels, [2, 0, 1])
    }

    func testRangeSearchEqualsBruteForce() {
        let database = randomCodes(count: 2_000, bits: 32, seed: 3)
        let queries = randomCodes(count: 5, bits: 32, seed: 4)
        let index = BinaryFlatIndex(codes: database)
        for radius in [0, 2, 9, 32] {
            let found = index.rangeSearch(queries, radius: radius)
            let expected = bruteForce(queries, database, k: database.count).map { $0.filter { $0.distance <= radius } }
            XCTAssertEqual(found, expected, "radius \(radius)")
        }
    }
}
