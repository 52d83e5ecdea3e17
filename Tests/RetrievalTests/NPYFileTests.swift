import Foundation
import Interchange
import TestSupport
import XCTest

final class NPYFileTests: XCTestCase {
    private static let samples: [NPYArray] = [
        .float32([1.5, -2, 0, -0.0, .infinity, 3e-8], shape: [2, 3]),
        .float64([1.5, -2, 1e300, -Double.leastNonzeroMagnitude], shape: [4]),
        .int8([-128, -1, 0, 1, 127, 5], shape: [3, 2]),
        .int16([-32768, -1, 0, 32767], shape: [4]),
        .int32([.min, -1, 0, .max], shape: [1, 4]),
        .int64([.min, -1, 0, .max, 42, -42], shape: [6]),
        .uint8([0, 1, 200, 255], shape: [2, 2]),
        .bool([true, false, false, true, true, true], shape: [2, 3]),
    ]

    func testEveryDTypeRoundTripsInEveryVersion() throws {
        for array in Self.samples {
            for version in 1...3 {
                let bytes = NPYFile.encode(array, version: version)
                XCTAssertEqual(bytes[6], UInt8(version))
                XCTAssertEqual((bytes.count - array.bytes.count) % 64, 0, "numpy aligns the data to 64 bytes")
                XCTAssertEqual(try NPYFile.parse(bytes, source: "x.npy"), array, "\(array.dtype) v\(version)")
            }
        }
        let ints = try NPYFile.parse(NPYFile.encode(Self.samples[5]), source: "x.npy")
        XCTAssertEqual(ints.integers(), [Int(Int64.min), -1, 0, Int(Int64.max), 42, -42])
        XCTAssertEqual(Self.samples[2].integers(), [-128, -1, 0, 1, 127, 5])
        XCTAssertEqual(Self.samples[0].doubles().prefix(3), [1.5, -2, 0])
        XCTAssertEqual(Self.samples[0].doubles()[3].sign, .minus)
        XCTAssertEqual(Self.samples[7].integers(), [1, 0, 0, 1, 1, 1])
        XCTAssertNil(Self.samples[1].integers())
        XCTAssertEqual(Self.samples[4].rows, 1)
        XCTAssertEqual(Self.samples[4].columns, 4)
        XCTAssertEqual(Self.samples[3].columns, 1)
    }

    func testEncodingMatchesNumpyByteForByte() throws {
        // The golden fixtures were written by numpy's np.save; re-encoding what we read gives
        // the same bytes (header text, padding, data).
        let (folder, _) = try MetricsTests.goldenCases()
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".npy") }
        XCTAssertGreaterThan(files.count, 20)
        var dtypes = Set<NPYDType>()
        for file in files {
            let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: folder + "/" + file)))
            let array = try NPYFile.parse(bytes, source: file)
            dtypes.insert(array.dtype)
            XCTAssertEqual(NPYFile.encode(array), bytes, file)
        }
        XCTAssertEqual(dtypes, [.float32, .int8, .int32, .int64, .uint8, .bool])
    }

    func testFortranOrderIsTransposedIntoRowMajor() throws {
        // numpy's np.asfortranarray([[1, 2, 3], [4, 5, 6]], dtype=np.int8) stores 1 4 2 5 3 6.
        let array = NPYArray.int8([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let fortran = NPYFile.encode(array, fortranOrder: true)
        XCTAssertEqual(Array(fortran.suffix(6)), [1, 4, 2, 5, 3, 6])
        XCTAssertTrue(String(decoding: fortran, as: UTF8.self).contains("'fortran_order': True"))
        XCTAssertEqual(try NPYFile.parse(fortran, source: "f.npy"), array)
        let wide = NPYArray.float64([1, 2, 3, 4, 5, 6, 7, 8], shape: [4, 2])
        XCTAssertEqual(try NPYFile.parse(NPYFile.encode(wide, version: 2, fortranOrder: true), source: "f.npy"), wide)
        // 1-D: the same either way.
        let line = NPYArray.int32([7, 8, 9], shape: [3])
        XCTAssertEqual(try NPYFile.parse(NPYFile.encode(line, fortranOrder: true), source: "f.npy"), line)
    }

    func testHeaderVariantsNumpyHasWritten() throws {
        // Python 2 longs in the shape, keys in another order, double quotes, no trailing comma.
        for header in ["{'descr': '<i2', 'fortran_order': False, 'shape': (2L, 1L), }",
                       "{'shape': (2, 1), 'fortran_order': False, 'descr': '<i2'}",
                       "{\"descr\": \"<i2\", \"fortran_order\": False, \"shape\": (2,1)}"] {
            let array = try NPYFile.parse(Self.npy(header: header, data: [1, 0, 2, 0]), source: "h.npy")
            XCTAssertEqual(array, .int16([1, 2], shape: [2, 1]), header)
        }
        // '<u1' and '<b1' mean the same as numpy's '|u1' and '|b1'.
        XCTAssertEqual(try NPYFile.parse(Self.npy(header: "{'descr': '<u1', 'fortran_order': False, 'shape': (2,), }", data: [3, 4]), source: "u.npy"),
                       .uint8([3, 4], shape: [2]))
    }

    func testRefusalsNameTheFileAndTheProblem() throws {
        func refusal(_ bytes: [UInt8]) -> String {
            do { _ = try NPYFile.parse(bytes, source: "x.npy"); return "accepted" } catch { return error.localizedDescription }
        }
        func header(_ dict: String, data: [UInt8] = [0, 0, 0, 0]) -> [UInt8] { Self.npy(header: dict, data: data) }
        let cases: [([UInt8], String)] = [
            (header("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", data: Array(repeating: 0, count: 8)),
             "x.npy: dtype '<c8' is not supported (expected float32, float64, int8, int16, int32, int64, uint8 or bool, little-endian)"),
            (header("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }"), "x.npy: big-endian dtype '>f4' is not supported"),
            (header("{'descr': '<u4', 'fortran_order': False, 'shape': (1,), }"), "x.npy: dtype '<u4' is not supported"),
            (header("{'descr': '|f4', 'fortran_order': False, 'shape': (1,), }"), "x.npy: dtype '|f4' is not supported"),
            (header("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }"), "x.npy: structured dtypes"),
            (header("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1), }"), "x.npy: array of shape (1, 1, 1) is not supported (1-D or 2-D arrays are)"),
            (header("{'descr': '<f4', 'fortran_order': False, 'shape': (), }"), "x.npy: array of shape () is not supported"),
            (header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"), "x.npy: truncated: shape (2,) of float32 needs 8 bytes of data, the file has 4"),
            (header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", data: Array(repeating: 0, count: 5)), "x.npy: has 1 bytes past its data"),
            (header("{'descr': '<f4', 'fortran_order': False, 'shape': (400000000, 4000000000), }"), "x.npy: truncated: shape (400000000, 4000000000) of float32 needs 6400000000000000000 bytes of data, the file has 4"),
            (header("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }"), "x.npy: shape (4611686018427387904, 4) is absurd"),
            (header("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,), }"), "x.npy: malformed .npy header ('shape' is not a tuple of sizes)"),
            (header("{'descr': '<f4', 'fortran_order': False, }"), "x.npy: malformed .npy header (it needs 'descr', 'fortran_order' and 'shape')"),
            (header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1, }"), "unexpected key 'extra'"),
            (header("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,), }"), "'descr' twice"),
            (header("{'descr': '<f4', 'fortran_order': 0, 'shape': (1,), }"), "'fortran_order' is not True or False"),
            (header("{'descr': '<f4', 'fortran_order': False, 'shape': (1), }"), "'shape' is not a tuple of sizes"),
            (header("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }"), "'shape' is not a tuple of sizes"),
            (header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } junk"), "text after the dict"),
            (Array("hello, world\nthis is text\n".utf8), "x.npy: not a numpy .npy file (no \\x93NUMPY magic)"),
            ([0x93] + Array("NUMPZ".utf8) + [1, 0, 0, 0], "not a numpy .npy file"),
            ([0x93] + Array("NUMPY".utf8) + [4, 0, 0, 0], "x.npy: .npy format version 4.0 is not supported"),
            ([0x93] + Array("NUMPY".utf8) + [1, 0, 0xFF, 0x00, 0x7B], "x.npy: truncated .npy header"),
            ([], "not a numpy .npy file"),
        ]
        for (bytes, expected) in cases {
            let message = refusal(bytes)
            XCTAssertTrue(message.contains(expected), "expected \(expected)\n got \(message)")
            XCTAssertFalse(message.contains("\n"), message)
        }
        // No final newline in the header.
        var noNewline = header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }")
        noNewline[noNewline.count - 5] = 0x20
        XCTAssertTrue(refusal(noNewline).contains("no final newline"), refusal(noNewline))
    }

    func testReadAndWriteFiles() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path + "/codes.npy"
        try NPYFile.write(Self.samples[2], to: path)
        XCTAssertEqual(try NPYFile.read(path), Self.samples[2])
        XCTAssertThrowsError(try NPYFile.read(scratch.path + "/missing.npy")) { error in
            XCTAssertEqual(error.localizedDescription, "\(scratch.path)/missing.npy: cannot read file: No such file or directory")
        }
        XCTAssertThrowsError(try NPYFile.read(scratch.path)) { error in
            XCTAssertEqual(error.localizedDescription, "\(scratch.path): cannot read file: not a regular file")
        }
        let text = try scratch.write("notes.npy", Array("just text\n".utf8))
        XCTAssertThrowsError(try NPYFile.read(text)) { error in
            XCTAssertTrue(error.localizedDescription.hasPrefix("\(text): not a numpy .npy file"), error.localizedDescription)
        }
        XCTAssertThrowsError(try NPYFile.write(Self.samples[0], to: scratch.path + "/no/such/folder/x.npy"))
    }

    /// A version 1.0 file with `header` (a newline is added) and `data`.
    static func npy(header: String, data: [UInt8]) -> [UInt8] {
        let text = Array((header + "\n").utf8)
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(text.count & 0xFF), UInt8(text.count >> 8)] + text + data
    }
}
