import Foundation
import TestSupport
import XCTest

final class MetricsCommandTests: XCTestCase {
    /// The golden cases of scripts/reference_metrics.py.
    private static let fixtures = TestPaths.repository.appendingPathComponent("Tests/RetrievalTests/Fixtures/metrics").path

    func testHelpDocumentsTheFormsAndExitCodes() throws {
        let result = try CommandRunner.run(["metrics", "--help"])
        XCTAssertEqual(result.status, 0)
        for text in ["--query-codes", "--db-codes", "--query-labels", "--db-labels", "--topk", "--packed", "--json", "--at",
                     "float32", "int8", "uint8", "bool", "tanh", "0 counts as +1", "multi-hot", "CalcTopMap",
                     "Exit status", "0 metrics printed", "2 bad input"] {
            XCTAssertTrue(result.stdout.contains(text), "help lacks \(text)")
        }
        XCTAssertTrue(try CommandRunner.run(["--help"]).stdout.contains("metrics"))
    }

    func testGoldenCasesGiveTheReferenceValues() throws {
        for golden in try Self.goldenCases() {
            let name = golden["name"] as? String ?? "?"
            var arguments = ["metrics", "--json"]
            for (flag, key) in [("--query-codes", "query_codes"), ("--db-codes", "db_codes"), ("--query-labels", "query_labels"), ("--db-labels", "db_labels")] {
                arguments += [flag, Self.fixtures + "/" + (try XCTUnwrap(golden[key] as? String))]
            }
            if let packed = golden["packed"] as? Int { arguments += ["--packed", String(packed)] }
            if let topk = golden["topk"] as? Int { arguments += ["--topk", String(topk)] }
            let result = try CommandRunner.run(arguments)
            XCTAssertEqual(result.status, 0, "\(name): \(result.stderr)")
            XCTAssertEqual(result.stderr, "", name)
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], name)
            for key in ["map", "topk", "queries", "p_at", "p_r2", "r_r2"] { XCTAssertNotNil(json[key], "\(name) lacks \(key)") }
            XCTAssertEqual(json["topk"] as? Int, golden["topk_effective"] as? Int, name)
            XCTAssertEqual(json["queries"] as? Int, golden["queries"] as? Int, name)
            XCTAssertEqual(json["database"] as? Int, golden["database"] as? Int, name)
            XCTAssertEqual(json["bits"] as? Int, golden["bits"] as? Int, name)
            XCTAssertEqual(json["multi_label"] as? Bool, golden["multi_label"] as? Bool, name)
            try assertGolden(json["map"], golden["map"], "\(name) map")
            try assertGolden(json["p_r2"], golden["p_r2"], "\(name) p_r2")
            try assertGolden(json["r_r2"], golden["r_r2"], "\(name) r_r2")
            for key in ["p_at", "r_at"] {
                let actual = try XCTUnwrap(json[key] as? [String: Any], name), expected = try XCTUnwrap(golden[key] as? [String: Any])
                XCTAssertEqual(Set(actual.keys), ["10", "100", "1000"], name)
                for k in expected.keys { try assertGolden(actual[k], expected[k], "\(name) \(key) \(k)") }
            }
            let curve = try XCTUnwrap(json["pr_curve"] as? [String: Any]), expectedCurve = try XCTUnwrap(golden["pr_curve"] as? [String: [Double]])
            for key in ["precision", "recall"] {
                let actual = try XCTUnwrap(curve[key] as? [Any]), expected = try XCTUnwrap(expectedCurve[key])
                XCTAssertEqual(actual.count, expected.count, name)
                for (a, e) in zip(actual, expected) { try assertGolden(a, e, "\(name) pr_curve \(key)") }
            }
        }
    }

    func testTableAndExtraCutoffs() throws {
        let base = Self.arguments("single16_pm1f32")
        let table = try CommandRunner.run(base)
        XCTAssertEqual(table.status, 0, table.stderr)
        for text in ["queries      40", "database     300", "bits         16", "mAP@all      0.", "P@k", "R@k", "radius <= 2"] {
            XCTAssertTrue(table.stdout.contains(text), "table lacks \(text):\n\(table.stdout)")
        }
        XCTAssertTrue(try CommandRunner.run(base + ["--topk", "50"]).stdout.contains("mAP@50"))

        let extra = try CommandRunner.run(base + ["--json", "--at", "5", "--at", "20", "--threads", "1"])
        XCTAssertEqual(extra.status, 0, extra.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(extra.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(Set((json["p_at"] as? [String: Any] ?? [:]).keys), ["5", "10", "20", "100", "1000"])
        // Same numbers with one thread as with the default.
        let standard = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try CommandRunner.run(base + ["--json"]).stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["map"] as? Double, standard["map"] as? Double)
    }

    func testBadInputExitsTwoWithOneLineNamingTheFile() throws {
        let scratch = try ScratchDirectory()
        func file(_ name: String, _ descr: String, _ shape: [Int], _ data: [UInt8]) throws -> String {
            try scratch.write(name, Self.npy(descr, shape, data))
        }
        let f = Self.fixtures
        let q16 = "\(f)/single16_pm1f32_query_codes.npy", d16 = "\(f)/single16_pm1f32_db_codes.npy"
        let ql = "\(f)/single16_pm1f32_query_labels.npy", dl = "\(f)/single16_pm1f32_db_labels.npy"
        let complex = try file("complex.npy", "<c8", [40, 16], Array(repeating: 0, count: 40 * 16 * 8))
        let bigEndian = try file("big.npy", ">f4", [40, 16], Array(repeating: 0, count: 40 * 16 * 4))
        let shortLabels = try file("labels39.npy", "<i8", [39], Array(repeating: 0, count: 39 * 8))
        let zeroOne = try file("zero-one.npy", "<f4", [40, 16], Self.floats((0..<640).map { Float($0 % 2) }))
        let int01 = try file("int01.npy", "|i1", [40, 16], (0..<640).map { UInt8($0 % 2) })
        let intThree = try file("int3.npy", "|i1", [40, 16], (0..<640).map { $0 == 17 ? 3 : 0xFF })
        let nan = try file("nan.npy", "<f4", [40, 16], Self.floats((0..<640).map { $0 == 33 ? .nan : -1 }))
        let hotTwo = try file("hot2.npy", "|u1", [40, 3], (0..<120).map { $0 == 7 ? 2 : UInt8($0 % 2) })
        let floatIDs = try file("float-ids.npy", "<f4", [40], Self.floats(Array(repeating: 1, count: 40)))
        let oneD = try file("one-d.npy", "|i1", [640], Array(repeating: 0xFF, count: 640))
        let fourBits = try file("four.npy", "|i1", [40, 4], Array(repeating: 0xFF, count: 160))
        let threeD = try scratch.write("three-d.npy", Self.npy(header: "{'descr': '|i1', 'fortran_order': False, 'shape': (2, 2, 2), }", data: Array(repeating: 1, count: 8)))
        let text = try scratch.write("text.npy", Array("0 1 2 3\n".utf8))
        let truncated = try scratch.write("truncated.npy", Array(try Data(contentsOf: URL(fileURLWithPath: q16))).dropLast(3))
        let missing = scratch.path + "/missing.npy"
        let packedQ = "\(f)/multi128_packed_query_codes.npy", packedD = "\(f)/multi128_packed_db_codes.npy"

        func codes(_ q: String, _ d: String, _ qLabels: String = ql, _ dLabels: String = dl) -> [String] {
            ["metrics", "--query-codes", q, "--db-codes", d, "--query-labels", qLabels, "--db-labels", dLabels]
        }
        let cases: [([String], String)] = [
            (codes(missing, d16), "\(missing): cannot read file: No such file or directory"),
            (codes(complex, d16), "\(complex): dtype '<c8' is not supported (expected float32, float64, int8, int16, int32, int64, uint8 or bool"),
            (codes(q16, bigEndian), "\(bigEndian): big-endian dtype '>f4' is not supported"),
            (codes(q16, "\(f)/single48_u8_db_codes.npy"), "\(f)/single48_u8_db_codes.npy: 48-bit codes, but the query codes (\(q16)) have 16 bits"),
            (codes(q16, d16, shortLabels), "\(shortLabels): 39 labels for the 40 codes of \(q16)"),
            (codes(q16, d16, ql, ql), "\(ql): 40 labels for the 300 codes of \(d16)"),
            (codes(q16, d16) + ["--topk", "0"], "--topk must be a positive k (got 0)"),
            (codes(q16, d16) + ["--at", "0"], "--at must be a positive k (got 0)"),
            (codes(q16, d16) + ["--threads", "0"], "--threads must be at least 1"),
            (codes(packedQ, packedD) + ["--packed", "64"], "\(packedQ): packed 64-bit codes need 8 bytes per row, this array has 16 (128 bits)"),
            (codes(packedQ, packedD) + ["--packed", "12"], "--packed 12: packed codes need a multiple of 8 bits in 8...1024"),
            (codes(packedQ, packedD) + ["--packed", "2048"], "--packed 2048: packed codes need a multiple of 8 bits in 8...1024"),
            (codes(q16, d16) + ["--packed", "16"], "\(q16): packed codes must be uint8 bytes, not float32"),
            (codes(packedQ, packedD), "\(packedQ): uint8 codes must be 0 or 1, found"),
            (codes(zeroOne, d16), "\(zeroOne): float codes are read by sign and none is negative"),
            (codes(int01, d16), "\(int01): int8 codes are read as ±1 (0 counts as +1) and none is -1"),
            (codes(intThree, d16), "\(intThree): int8 codes must be ±1 (0 counts as +1), found 3 at row 1, column 1"),
            (codes(nan, d16), "\(nan): code value NaN at row 2, column 1"),
            (codes(q16, d16, hotTwo), "\(hotTwo): multi-hot labels must be 0 or 1, found 2 at row 2, column 1"),
            (codes(q16, d16, floatIDs), "\(floatIDs): 1-D labels must be integer class ids, not float32"),
            (codes(oneD, d16), "\(oneD): codes must be a 2-D array (codes, bits); this one has shape (640,)"),
            (codes(fourBits, d16), "\(fourBits): codes of 4 bits are not supported (8...1024 bits are)"),
            (codes(threeD, d16), "\(threeD): array of shape (2, 2, 2) is not supported"),
            (codes(q16, d16, text), "\(text): not a numpy .npy file"),
            (codes(truncated, d16), "\(truncated): truncated: shape (40, 16) of float32 needs 2560 bytes of data, the file has 2557"),
            (codes(q16, d16, "\(f)/multi64_bool_query_labels.npy", "\(f)/multi128_packed_db_labels.npy"),
             "\(f)/multi128_packed_db_labels.npy: multi-hot labels have 12 classes, the query labels have 5"),
            (codes(q16, d16, ql, "\(f)/multi64_bool_db_labels.npy"), "\(ql): class id"),
        ]
        for (arguments, expected) in cases {
            let result = try CommandRunner.run(arguments)
            let shown = arguments.dropFirst().joined(separator: " ")
            XCTAssertEqual(result.status, 2, shown)
            XCTAssertEqual(result.stdout, "", shown)
            let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
            XCTAssertEqual(lines.count, 1, "\(shown): \(result.stderr)")
            XCTAssertTrue(result.stderr.hasPrefix("hashscope: \(expected)"), "expected \(expected)\n got \(result.stderr)")
        }
        // Usage errors (a missing option, a k that is not a number) exit 2 as well.
        XCTAssertEqual(try CommandRunner.run(["metrics", "--query-codes", q16]).status, 2)
        XCTAssertEqual(try CommandRunner.run(codes(q16, d16) + ["--topk", "all"]).status, 2)
    }

    // MARK: helpers

    private static func arguments(_ name: String) -> [String] {
        ["metrics", "--query-codes", "\(fixtures)/\(name)_query_codes.npy", "--db-codes", "\(fixtures)/\(name)_db_codes.npy",
         "--query-labels", "\(fixtures)/\(name)_query_labels.npy", "--db-labels", "\(fixtures)/\(name)_db_labels.npy"]
    }

    private static func goldenCases() throws -> [[String: Any]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixtures + "/golden.json"))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try XCTUnwrap(json["cases"] as? [[String: Any]])
    }

    /// A version 1.0 .npy file, written by hand (this target does not link the reader).
    private static func npy(_ descr: String, _ shape: [Int], _ data: [UInt8]) -> [UInt8] {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(\(shape.map(String.init).joined(separator: ", ")))"
        return npy(header: "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }", data: data)
    }

    private static func npy(header: String, data: [UInt8]) -> [UInt8] {
        let text = Array((header + "\n").utf8)
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(text.count & 0xFF), UInt8(text.count >> 8)] + text + data
    }

    private static func floats(_ values: [Float]) -> [UInt8] {
        values.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
    }

    private func assertGolden(_ actual: Any?, _ expected: Any?, _ message: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let a = try XCTUnwrap((actual as? NSNumber)?.doubleValue, "\(message): not a number", file: file, line: line)
        let e = try XCTUnwrap((expected as? NSNumber)?.doubleValue, "\(message): no golden value", file: file, line: line)
        XCTAssertEqual(a, e, accuracy: 1e-6, message, file: file, line: line)
    }
}
