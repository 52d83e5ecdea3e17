import Retrieval
import XCTest

final class BinaryCodesTests: XCTestCase {
    func testSignsPackLSBFirstLikeFaiss() {
        // Code bits: 1 at j = 0, 3, 8 and 15 (value >= 0 is 1, so 0 counts as +1).
        var values = [Float](repeating: -0.3, count: 16)
        values[0] = 0.9; values[3] = 0; values[8] = 1; values[15] = 0.01
        let codes = BinaryCodes.fromSigns(values, bits: 16)
        XCTAssertEqual(codes.packedBytes(), [0b0000_1001, 0b1000_0001])
        XCTAssertEqual(codes.code(0)[0], 0x8109)
        XCTAssertTrue(codes.bit(3, ofCode: 0))
        XCTAssertFalse(codes.bit(4, ofCode: 0))
    }

    func testSigmoidThresholdIsHalf() {
        let codes = BinaryCodes.fromSigmoid([0.5, 0.49, 0.99, 0.0, 0.51, 0.2, 0.7, 0.1], bits: 8)
        XCTAssertEqual(codes.packedBytes(), [0b0101_0101])
    }

    func testPackedBytesRoundTripAcrossWordBoundaries() {
        for bits in [8, 24, 64, 72, 128, 136, 1024] {
            let bytes = (0..<(bits / 8 * 3)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ bits) }
            let codes = BinaryCodes(packedBytes: bytes, bits: bits)
            XCTAssertEqual(codes.count, 3)
            XCTAssertEqual(codes.wordsPerCode, (bits + 63) / 64)
            XCTAssertEqual(codes.packedBytes(), bytes, "bits \(bits)")
            // Bit j of code i is bit j % 8 of byte j / 8.
            for j in [0, 7, bits / 2, bits - 1] {
                let byte = bytes[bits / 8 + j / 8]
                XCTAssertEqual(codes.bit(j, ofCode: 1), byte >> UInt8(j % 8) & 1 == 1, "bits \(bits) bit \(j)")
            }
        }
    }

    func testOddLengthsKeepPaddingZeroAndDistancesExact() {
        let a = BinaryCodes.fromSigns(Array(repeating: 1, count: 12), bits: 12)
        let b = BinaryCodes.fromSigns(Array(repeating: -1, count: 12), bits: 12)
        XCTAssertEqual(a.code(0)[0], 0xFFF)
        XCTAssertEqual(a.distance(0, to: b, 0), 12)
        XCTAssertEqual(a.packedBytes(), [0xFF, 0x0F])
    }
}
