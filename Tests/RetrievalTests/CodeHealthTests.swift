import Foundation
import XCTest
@testable import Retrieval

/// Code health figures against direct computation on small code sets.
final class CodeHealthTests: XCTestCase {
    func testBalanceCorrelationAndGroupsMatchADirectCount() throws {
        // 8-bit codes: bit 0 always set, bit 1 = bit 2 (correlation 1), bits 3 and 4 independent-ish.
        let words: [UInt64] = [0b00111, 0b00001, 0b01111, 0b10001, 0b00111, 0b11001, 0b00111, 0b01001]
        let codes = BinaryCodes(bits: 8, words: words)
        let health = CodeHealth(codes)
        XCTAssertEqual(health.count, 8)
        for j in 0..<8 {
            let ones = words.filter { $0 >> UInt64(j) & 1 == 1 }.count
            XCTAssertEqual(health.onesFraction[j], Double(ones) / 8, accuracy: 1e-12, "bit \(j)")
        }
        XCTAssertEqual(health.distinctCodes, Set(words).count)
        XCTAssertEqual(health.largestGroups.first, 3)  // 0b00111 three times

        // Pearson over the varying bits (1, 2, 3, 4), computed the slow way.
        func column(_ j: Int) -> [Double] { words.map { Double($0 >> UInt64(j) & 1) } }
        func pearson(_ a: [Double], _ b: [Double]) -> Double {
            let ma = a.reduce(0, +) / 8, mb = b.reduce(0, +) / 8
            let cov = zip(a, b).map { ($0 - ma) * ($1 - mb) }.reduce(0, +)
            let va = a.map { ($0 - ma) * ($0 - ma) }.reduce(0, +), vb = b.map { ($0 - mb) * ($0 - mb) }.reduce(0, +)
            return cov / (va * vb).squareRoot()
        }
        let varying = [1, 2, 3, 4]
        var sum = 0.0, pairs = 0
        for (x, i) in varying.enumerated() { for j in varying[(x + 1)...] { sum += abs(pearson(column(i), column(j))); pairs += 1 } }
        XCTAssertEqual(try XCTUnwrap(health.meanAbsoluteCorrelation), sum / Double(pairs), accuracy: 1e-12)
        XCTAssertEqual(abs(pearson(column(1), column(2))), 1, accuracy: 1e-12, "the fixture's repeated bit")
    }

    func testMoreThan64CodesAndWideCodesAreCountedWhole() {
        // 130 codes of 72 bits (two words each): every code distinct but the first two.
        var words: [UInt64] = []
        for c in 0..<130 { words += [UInt64(c == 1 ? 0 : c), UInt64(c == 1 ? 0 : c % 2)] }
        let codes = BinaryCodes(bits: 72, words: words)
        let health = CodeHealth(codes)
        XCTAssertEqual(health.distinctCodes, 129)
        XCTAssertEqual(health.largestGroups.first, 2)
        XCTAssertEqual(health.onesFraction[64], 64.0 / 130, accuracy: 1e-12)  // bit 0 of the second word: odd c but 1
    }

    func testTheDistanceHistogramSplitsByRelevance() {
        let codes = BinaryCodes(bits: 8, words: [0x00, 0x01, 0x03, 0x01])
        let query = BinaryCodes(bits: 8, words: [0x00])
        let (relevant, other) = CodeHealth.distanceHistogram(query: query, 0, codes: codes, excluding: 0) { $0 % 2 == 1 }
        XCTAssertEqual(relevant[1], 2)  // codes 1 and 3
        XCTAssertEqual(other[2], 1)     // code 2
        XCTAssertEqual(relevant.reduce(0, +) + other.reduce(0, +), 3)
    }
}
