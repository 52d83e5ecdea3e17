import Foundation
import TestSupport
import XCTest

/// `hashscope bench network`: what it reports for a from-scratch network and for a head on a
/// backbone (the trainable tail and head fed the trunk's output), and its argument checks (not
/// its timings).
final class BenchNetworkCommandTests: XCTestCase {
    private func json(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let result = try CommandRunner.run(["bench", "network", "--batch", "2", "--iterations", "1", "--warmup", "0", "--json"] + arguments)
        XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout,
                             file: file, line: line)
    }

    func testFromScratchNetworkCountsItsFLOPs() throws {
        let report = try json(["--arch", "dsh", "--bits", "12"])
        XCTAssertEqual(report["size"] as? Int, 32)
        XCTAssertEqual(report["batch"] as? Int, 2)
        XCTAssertGreaterThan(report["forward_gflop"] as? Double ?? 0, 0)
        XCTAssertGreaterThan(report["train_step_ms"] as? Double ?? 0, 0)
        XCTAssertTrue(report["backbone"] is NSNull, "\(report)")
        XCTAssertTrue(report["fine_tuned_blocks"] is NSNull, "\(report)")
    }

    func testHeadOnABackboneTimesItsTrainableLayers() throws {
        // Lite0's last 5 blocks at 160 x 160 read the trunk's (112, 10, 10) map; no weights needed.
        let report = try json(["--arch", "cbam", "--bits", "12", "--backbone", "efficientnet-lite0", "--fine-tune-blocks", "5"])
        XCTAssertEqual(report["backbone"] as? String, "efficientnet-lite0")
        XCTAssertEqual(report["fine_tuned_blocks"] as? Int, 5)
        XCTAssertEqual(report["size"] as? Int, 160)
        XCTAssertEqual(report["classes"] as? Int, 10)
        XCTAssertGreaterThan(report["train_step_ms"] as? Double ?? 0, 0)
        XCTAssertGreaterThan(report["encode_images_per_second"] as? Double ?? 0, 0)
        for key in ["forward_gflop", "encode_gflops", "train_gflops"] {
            XCTAssertTrue(report[key] is NSNull, "\(key): \(report)")
        }
        let text = try CommandRunner.run(["bench", "network", "--arch", "dah", "--bits", "48", "--backbone", "efficientnet-lite0",
                                          "--batch", "2", "--iterations", "1", "--warmup", "0"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("head on efficientnet-lite0 fine-tuning 1 block,"), text.stdout)
        XCTAssertTrue(text.stdout.contains("train step:"), text.stdout)
        XCTAssertFalse(text.stdout.contains("GFLOP"), text.stdout)
    }

    func testBackboneArgumentChecks() throws {
        let bad: [([String], String)] = [
            (["--arch", "cbam", "--fine-tune-blocks", "2"], "--fine-tune-blocks needs --backbone"),
            (["--arch", "nin", "--backbone", "efficientnet-lite0"], "--arch nin has no head for a backbone"),
            (["--arch", "cbam", "--backbone", "lite9"], "unknown --backbone lite9"),
            (["--arch", "cbam", "--backbone", "efficientnet-lite0", "--fine-tune-blocks", "16"], "--fine-tune-blocks must be in 1...15"),
            (["--arch", "cbam", "--backbone", "resnet50", "--fine-tune-blocks", "2"], "--fine-tune-blocks must be in 1...1"),
            (["--arch", "cbam", "--backbone", "efficientnet-lite0", "--model", "/nonexistent/m.safetensors"],
             "--model cannot be combined with --backbone"),
        ]
        for (arguments, message) in bad {
            let result = try CommandRunner.run(["bench", "network", "--bits", "12"] + arguments)
            XCTAssertEqual(result.status, 2, "\(arguments)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "one line: \(result.stderr)")
        }
    }
}
