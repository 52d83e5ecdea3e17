import Foundation
import Basics
import Retrieval
import TestSupport
import XCTest

final class IndexFileTests: XCTestCase {
    private func sampleIndex(features: Bool = true) -> HashIndex {
        let codes = BinaryCodes(bits: 72, words: (0..<20).map { UInt64($0) &* 0x9E37_79B9_7F4A_7C15 >> ($0 % 2 == 1 ? 56 : 0) })
        return HashIndex(
            codes: codes,
            labels: [[0], [1], [2, 4], [], [3], [0], [1], [2], [3], [4]],
            itemIDs: ["a.jpg", "b/c.jpg", "ü.png", "", "x", "y", "z", "0", "1", "2"],
            features: features ? FeatureMatrix(dimension: 3, values: (0..<30).map { Float($0) / 7 }) : nil,
            metadata: .init(modelFingerprint: "sha256:abc", gallery: "corel:/data/corel", classNames: ["a", "b", "c", "d", "e"],
                            multiLabel: true, source: "test"))
    }

    func testRoundTripKeepsEverything() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path + "/sample.hsix"
        let index = sampleIndex()
        try IndexFile.write(index, to: path)
        let read = try IndexFile.read(path)
        XCTAssertEqual(read.codes.bits, 72)
        XCTAssertEqual(read.codes.count, 10)
        XCTAssertEqual(read.codes.packedBytes(), index.codes.packedBytes())
        XCTAssertEqual(read.labels, index.labels)
        XCTAssertEqual(read.itemIDs, index.itemIDs)
        XCTAssertEqual(read.features, index.features)
        XCTAssertEqual(read.metadata, index.metadata)
        // No temporary file is left beside it.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path), ["sample.hsix"])

        try IndexFile.write(sampleIndex(features: false), to: path)
        XCTAssertNil(try IndexFile.read(path).features)
    }

    func testSearchOnAMappedIndexMatchesInMemory() throws {
        let scratch = try ScratchDirectory()
        let words = (0..<4_000).map { UInt64($0) &* 0x2545_F491_4F6C_DD1D }
        let codes = BinaryCodes(bits: 128, words: words)
        let index = HashIndex(codes: codes, metadata: .init())
        try IndexFile.write(index, to: scratch.path + "/m.hsix")
        let mapped = try IndexFile.read(scratch.path + "/m.hsix").codes
        let queries = codes.subset([5, 77, 1999])
        XCTAssertEqual(BinaryFlatIndex(codes: mapped).search(queries, k: 20), BinaryFlatIndex(codes: codes).search(queries, k: 20))
    }

    func testDamageIsDetected() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path + "/d.hsix"
        try IndexFile.write(sampleIndex(), to: path)
        let good = try FileBytes.read(path)

        func expectError(_ bytes: [UInt8], _ text: String, line: UInt = #line) throws {
            let bad = try scratch.write("bad.hsix", bytes)
            XCTAssertThrowsError(try IndexFile.read(bad), line: line) { error in
                guard let error = error as? IndexFileError else { return XCTFail("\(error)", line: line) }
                XCTAssertEqual(error.path, bad, line: line)
                XCTAssertTrue(error.message.contains(text), error.message, line: line)
            }
        }
        var flipped = good
        flipped[130] ^= 0x01  // one bit of the codes
        try expectError(flipped, "checksum mismatch")
        try expectError(Array(good.prefix(good.count - 100)), "end-of-index marker is missing")
        try expectError(Array(good.prefix(50)), "truncated")
        try expectError([], "empty file")
        var magic = good
        magic[0] = UInt8(ascii: "X")
        try expectError(magic, "not a hashscope index (bad magic)")
        var version = good
        version[8] = 9
        try expectError(version, "index version 9 is not supported")
        XCTAssertThrowsError(try IndexFile.read(scratch.path + "/missing.hsix")) { error in
            XCTAssertTrue((error as? IndexFileError)?.message.contains("No such file") ?? false, "\(error)")
        }
        // Damage that keeps the checksum valid is caught by the structure checks when the
        // checksum is skipped: a section pointing outside the file.
        var section = good
        section[24] = 0xFF; section[25] = 0xFF
        let unchecked = try scratch.write("unchecked.hsix", section)
        XCTAssertThrowsError(try IndexFile.read(unchecked, verifyChecksum: false)) { error in
            XCTAssertTrue((error as? IndexFileError)?.message.contains("lies outside the file") ?? false, "\(error)")
        }
    }

    func testFailedWriteLeavesTheOldFile() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path + "/keep.hsix"
        try IndexFile.write(sampleIndex(), to: path)
        let before = try FileBytes.read(path)
        XCTAssertThrowsError(try IndexFile.write(sampleIndex(), to: scratch.path + "/no-such-folder/x.hsix"))
        XCTAssertEqual(try FileBytes.read(path), before)
    }

    func testFaissFileRoundTripAndLayout() throws {
        let scratch = try ScratchDirectory()
        let bytes = (0..<(3 * 16)).map { UInt8(truncatingIfNeeded: $0 * 29 + 3) }
        let codes = BinaryCodes(packedBytes: bytes, bits: 128)
        let path = scratch.path + "/c.ibxf"
        try FaissBinaryFlatFile.write(codes, to: path)
        let file = try FileBytes.read(path)
        // fourcc, d = 128, code_size = 16, ntotal = 3, is_trained = 1, metric = 1, 48 bytes.
        let header: [UInt8] = Array("IBxF".utf8) + [128, 0, 0, 0, 16, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0,
                                                     48, 0, 0, 0, 0, 0, 0, 0]
        XCTAssertEqual(Array(file.prefix(header.count)), header)
        XCTAssertEqual(Array(file.dropFirst(header.count)), bytes)
        XCTAssertEqual(try FaissBinaryFlatFile.read(path).packedBytes(), bytes)
        XCTAssertEqual(try CodeFileLoader.load(path).kind, .faiss)

        // 24-bit codes take 3 bytes in faiss and one padded word here.
        let short = BinaryCodes(packedBytes: [1, 2, 3, 4, 5, 6], bits: 24)
        try FaissBinaryFlatFile.write(short, to: path)
        XCTAssertEqual(try FaissBinaryFlatFile.read(path).packedBytes(), [1, 2, 3, 4, 5, 6])
    }

    func testBadFaissFiles() throws {
        let scratch = try ScratchDirectory()
        try FaissBinaryFlatFile.write(BinaryCodes(packedBytes: Array(repeating: 7, count: 32), bits: 64), to: scratch.path + "/ok.ibxf")
        let good = try FileBytes.read(scratch.path + "/ok.ibxf")
        func expectError(_ bytes: [UInt8], _ text: String, line: UInt = #line) throws {
            let bad = try scratch.write("bad.ibxf", bytes)
            XCTAssertThrowsError(try FaissBinaryFlatFile.read(bad), line: line) { error in
                XCTAssertTrue((error as? IndexFileError)?.message.contains(text) ?? false, "\(error)", line: line)
            }
        }
        try expectError(Array(good.prefix(good.count - 3)), "truncated: 32 code bytes declared, 29 present")
        var codeSize = good
        codeSize[8] = 9
        try expectError(codeSize, "code_size=9")
        try expectError(Array("IBxH".utf8) + good.dropFirst(4), "fourcc 'IBxH'")
        try expectError(Array(good.prefix(10)), "shorter than a faiss IndexBinaryFlat header")
    }
}
