import Foundation
import Networks
import TestSupport
import XCTest

/// `hashscope classify`: errors and help without weights; with the imported EfficientNet-Lite0
/// weights (scripts/fetch-backbone) and ../shared/datasets, the Corel-1k check of issue 7.
final class ClassifyCommandTests: XCTestCase {
    private static var weights: String {
        ProcessInfo.processInfo.environment["HASHSCOPE_EFFNET_WEIGHTS"]
            ?? TestPaths.repository.appendingPathComponent(".cache/backbones/efficientnet-lite0.safetensors").path
    }

    private func weightsOrSkip() throws -> String {
        guard FileManager.default.fileExists(atPath: Self.weights) else {
            throw XCTSkip("needs the EfficientNet-Lite0 weights at \(Self.weights); run scripts/fetch-backbone (or set HASHSCOPE_EFFNET_WEIGHTS)")
        }
        return Self.weights
    }

    /// path -> the printed top classes' indices, in rank order.
    private func topClasses(_ stdout: String) -> [String: [Int]] {
        var result: [String: [Int]] = [:]
        var current: String?
        for line in stdout.split(separator: "\n") {
            if !line.hasPrefix("  ") { current = String(line); result[String(line)] = []; continue }
            let fields = line.split(separator: " ")  // "1.", "49.46%", "386", name...
            if let current, fields.count >= 3, let index = Int(fields[2]) { result[current]?.append(index) }
        }
        return result
    }

    func testHelpAndBadInput() throws {
        let help = try CommandRunner.run(["classify", "--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("scripts/fetch-backbone"), help.stdout)
        XCTAssertTrue(help.stdout.contains("--weights"), help.stdout)

        let unknown = try CommandRunner.run(["classify", "--model", "resnet50", "x.jpg"])
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.stderr.contains("unknown --model resnet50"), unknown.stderr)

        let missing = try CommandRunner.run(["classify", "--weights", "/nonexistent/lite0.safetensors", "x.jpg"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("/nonexistent/lite0.safetensors"), missing.stderr)
        XCTAssertTrue(missing.stderr.contains("scripts/fetch-backbone"), missing.stderr)

        let scratch = try ScratchDirectory()
        let corrupt = try scratch.write("corrupt.safetensors", Array("not a model".utf8))
        let bad = try CommandRunner.run(["classify", "--weights", corrupt, "x.jpg"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains(corrupt) && bad.stderr.contains("scripts/fetch-backbone"), bad.stderr)
    }

    func testUnreadableImagesAreSkippedOrFailWithStrict() throws {
        let weights = try weightsOrSkip()
        let scratch = try ScratchDirectory()
        let junk = try scratch.write("junk.jpg", [0x00, 0x01, 0x02])
        let image = try TestPaths.sharedDataset("corel1k/images/500.jpg")
        let result = try CommandRunner.run(["classify", "--weights", weights, image, junk])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("junk.jpg") && result.stderr.contains("skipped 1 of 2"), result.stderr)
        let top = topClasses(result.stdout)
        XCTAssertEqual(top[image]?.count, 5, result.stdout)
        XCTAssertNil(top[junk])

        let strict = try CommandRunner.run(["classify", "--weights", weights, "--strict", junk, image])
        XCTAssertEqual(strict.status, 2)
        XCTAssertTrue(strict.stdout.isEmpty, strict.stdout)
    }

    /// Issue 7's check: most Corel-1k elephants (500-599) get an elephant class in their top 5,
    /// most buses (300-399) a bus-like one.
    func testCorelElephantsAndBuses() throws {
        let weights = try weightsOrSkip()
        let images = try TestPaths.sharedDataset("corel1k/images")
        let elephantClasses: Set<Int> = [101, 385, 386]  // tusker, Indian elephant, African elephant
        // school bus, trolleybus, minibus, passenger car, streetcar, recreational vehicle,
        // minivan, moving van, police van
        let busClasses: Set<Int> = [779, 874, 654, 705, 829, 757, 656, 675, 734]
        for (name, range, classes) in [("elephants", 500..<600, elephantClasses), ("buses", 300..<400, busClasses)] {
            let paths = range.map { "\(images)/\($0).jpg" }
            let result = try CommandRunner.run(["classify", "--weights", weights] + paths)
            XCTAssertEqual(result.status, 0, result.stderr)
            let top = topClasses(result.stdout)
            XCTAssertEqual(top.count, paths.count, result.stderr)
            let inTop5 = paths.filter { !Set(top[$0] ?? []).isDisjoint(with: classes) }.count
            let atTop1 = paths.filter { top[$0]?.first.map(classes.contains) ?? false }.count
            print("Corel-1k \(name): \(inTop5)/\(paths.count) with a matching class in the top 5, \(atTop1) at top 1")
            XCTAssertGreaterThanOrEqual(inTop5, 70, "\(name): only \(inTop5) of \(paths.count) in the top 5")
        }
    }
}
