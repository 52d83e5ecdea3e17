import Foundation
import Basics
import Render
import Retrieval
import TestSupport
import XCTest

final class IndexAndBenchCommandTests: XCTestCase {
    private func faissFile(in scratch: ScratchDirectory, count: Int = 5_000, bits: Int = 64) throws -> String {
        let bytes = (0..<count * bits / 8).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
        let path = scratch.path + "/codes.ibxf"
        try FaissBinaryFlatFile.write(BinaryCodes(packedBytes: bytes, bits: bits), to: path)
        return path
    }

    func testConvertRoundTripGivesIdenticalFaissBytes() throws {
        let scratch = try ScratchDirectory()
        let original = try faissFile(in: scratch, bits: 128)
        let ours = scratch.path + "/codes.hsix", back = scratch.path + "/back.ibxf"
        let first = try CommandRunner.run(["index", "convert", original, ours, "--to", "hashscope"])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertEqual(try CommandRunner.run(["index", "convert", ours, back]).status, 0)
        XCTAssertEqual(try FileBytes.read(back), try FileBytes.read(original))
        let info = try CommandRunner.run(["index", "info", ours])
        XCTAssertEqual(info.status, 0)
        XCTAssertTrue(info.stdout.contains("codes        5000 x 128 bits"), info.stdout)
        XCTAssertTrue(info.stdout.contains("checksum ok"), info.stdout)
    }

    func testBenchSearchReportsItsKeys() throws {
        let scratch = try ScratchDirectory()
        let file = try faissFile(in: scratch)
        let result = try CommandRunner.run(["bench", "search", "--index", file, "--queries", "5", "--k", "10", "--threads", "2", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["bits"] as? Int, 64)
        XCTAssertEqual(json["count"] as? Int, 5_000)
        for key in ["ms_per_query", "batch_ms_per_query", "codes_per_second"] {
            XCTAssertGreaterThan(try XCTUnwrap(json[key] as? Double, key), 0, key)
        }
    }

    func testBadIndexFilesExitTwoNamingTheFile() throws {
        let scratch = try ScratchDirectory()
        let file = try faissFile(in: scratch)
        let ours = scratch.path + "/ok.hsix"
        XCTAssertEqual(try CommandRunner.run(["index", "convert", file, ours, "--to", "hashscope"]).status, 0)
        var damaged = try FileBytes.read(ours)
        damaged[200] ^= 0x10
        let cases: [(String, [UInt8], String)] = [
            ("magic.hsix", Array("NOTANIDX".utf8) + Array(repeating: 0, count: 200), "not a hashscope index (bad magic)"),
            ("cut.ibxf", Array(try FileBytes.read(file).prefix(100)), "truncated"),
            ("damaged.hsix", damaged, "checksum mismatch"),
            ("empty.hsix", [], "empty file"),
        ]
        for (name, bytes, message) in cases {
            let path = try scratch.write(name, bytes)
            for arguments in [["index", "info", path], ["bench", "search", "--index", path, "--queries", "2"],
                              ["index", "convert", path, scratch.path + "/out-\(name)"]] {
                let result = try CommandRunner.run(arguments)
                XCTAssertEqual(result.status, 2, "\(arguments)")
                XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
                XCTAssertTrue(result.stderr.hasPrefix("hashscope: \(path): "), result.stderr)
                XCTAssertTrue(result.stderr.contains(message), result.stderr)
                XCTAssertEqual(result.stdout, "")
            }
            // Nothing was written for the failed conversion.
            XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path + "/out-\(name)"))
        }
        let zeroK = try CommandRunner.run(["bench", "search", "--index", file, "--k", "0"])
        XCTAssertEqual(zeroK.status, 2)
        XCTAssertTrue(zeroK.stderr.contains("--k must be positive"), zeroK.stderr)
    }

    func testBenchTUIReportsKeyLatency() throws {
        let tiny = try TrainedTinyModel.get()
        let result = try tiny.run(["bench", "tui", "--model", tiny.model, "--gallery", tiny.gallery, "--keys", "20", "--warmup", "2",
                                   "--columns", "100", "--rows", "30", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout)
        let p50 = try XCTUnwrap(report["p50_ms"] as? Double), p95 = try XCTUnwrap(report["p95_ms"] as? Double)
        XCTAssertGreaterThan(p50, 0)
        XCTAssertGreaterThanOrEqual(p95, p50)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(report["max_ms"] as? Double), p95)
        XCTAssertEqual(report["keys"] as? Int, 20)
        XCTAssertEqual(report["database"] as? Int, 50)
        let small = try tiny.run(["bench", "tui", "--model", tiny.model, "--gallery", tiny.gallery, "--columns", "60"])
        XCTAssertEqual(small.status, 2, "below 80 x 24 is a usage error")

        // With --compare every key searches with both models (the v view).
        let second = tiny.scratch.path + "/bench-compare.safetensors"
        if !FileManager.default.fileExists(atPath: second) { try FileManager.default.copyItem(atPath: tiny.model, toPath: second) }
        let two = try tiny.run(["bench", "tui", "--model", tiny.model, "--compare", second, "--gallery", tiny.gallery, "--keys", "10",
                                "--warmup", "1", "--columns", "100", "--rows", "30", "--json"])
        XCTAssertEqual(two.status, 0, two.stderr)
        let twoReport = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(two.stdout.utf8)) as? [String: Any], two.stdout)
        XCTAssertEqual(twoReport["compare"] as? String, second)
        XCTAssertGreaterThan(try XCTUnwrap(twoReport["p95_ms"] as? Double), 0)
        XCTAssertTrue(report["compare"] is NSNull, "one model: compare is null")
    }

    func testIndexBuildCountsUnreadableImagesAndRefusesBadInput() throws {
        let tiny = try TrainedTinyModel.get()
        let scratch = try ScratchDirectory()
        let gallery = try TinyGallery.make(in: scratch)
        try scratch.write("gallery/train/class0/broken.ppm", Array("P6\n32 32\n255\n".utf8) + [1, 2, 3])
        let out = scratch.path + "/codes.hsix"
        let result = try tiny.run(["index", "build", "--model", tiny.model, "--gallery", gallery, "--out", out])
        XCTAssertEqual(result.status, 1, "written, but one image was left out: \(result.stderr)")
        XCTAssertTrue(result.stderr.contains("broken.ppm"), result.stderr)
        XCTAssertTrue(result.stdout.contains("50 codes of 16 bits"), result.stdout)
        let missing = try tiny.run(["index", "build", "--model", scratch.path + "/none.safetensors", "--gallery", gallery,
                                    "--out", scratch.path + "/other.hsix"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path + "/other.hsix"))
    }
}
