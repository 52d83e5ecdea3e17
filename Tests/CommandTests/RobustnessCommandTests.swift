import Foundation
import Render
import TestSupport
import XCTest

/// `robustness` end to end on a tiny `folder:` gallery with a model trained here (1 epoch); the
/// gallery and fixture helpers are SearchCommandTests' (10 classes x (4 train + 1 test) 32x32 PPMs).
final class RobustnessCommandTests: XCTestCase {
    private static func tinyGallery(in scratch: ScratchDirectory) throws -> String {
        for c in 0..<10 {
            for (split, count) in [("train", 4), ("test", 1)] {
                for i in 0..<count {
                    var generator = SeededGenerator(seed: UInt64(c * 100 + i + (split == "test" ? 50 : 0)))
                    let base = [(c * 73) % 256, (c * 151) % 256, (c * 29 + 100) % 256]
                    let pixels = (0..<32 * 32 * 3).map { UInt8(clamping: base[$0 % 3] + generator.nextInt(below: 61) - 30) }
                    try scratch.write("gallery/\(split)/class\(c)/\(i).ppm", PPMCodec.encode(RGBImage(width: 32, height: 32, pixels: pixels)))
                }
            }
        }
        return "folder:" + scratch.path + "/gallery"
    }

    private nonisolated(unsafe) static var shared: (scratch: ScratchDirectory, gallery: String, model: String)?

    private func fixture() throws -> (scratch: ScratchDirectory, gallery: String, model: String) {
        if let shared = Self.shared { return shared }
        let scratch = try ScratchDirectory()
        let gallery = try Self.tinyGallery(in: scratch)
        let model = scratch.path + "/model.safetensors"
        let train = try CommandRunner.run(["train", "--arch", "dsh", "--bits", "16", "--dataset", gallery, "--protocol", "cifar10-full",
                                           "--epochs", "1", "--batch", "8", "--seed", "5", "--out", model])
        XCTAssertEqual(train.status, 0, train.stderr)
        Self.shared = (scratch, gallery, model)
        return (scratch, gallery, model)
    }

    private func run(_ arguments: [String], _ scratch: ScratchDirectory) throws -> CommandResult {
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CACHE_HOME"] = scratch.path + "/cache"
        return try CommandRunner.run(arguments, environment: environment)
    }

    func testJSONHasOnePointPerStrengthAndStrengthZeroIsEvalsMAP() throws {
        let (scratch, gallery, model) = try fixture()
        let eval = try run(["eval", "--model", model, "--dataset", gallery, "--protocol", "cifar10-full", "--json"], scratch)
        XCTAssertEqual(eval.status, 0, eval.stderr)
        let evalReport = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any], eval.stdout)
        let evalMAP = try XCTUnwrap(evalReport["map"] as? Double, eval.stdout)

        let result = try run(["robustness", "--model", model, "--dataset", gallery, "--protocol", "cifar10-full",
                              "--transform", "rotate:0:90:30", "--json"], scratch)
        XCTAssertEqual(result.status, 0, result.stderr)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout)
        XCTAssertEqual(report["transform"] as? String, "rotate:0:90:30")
        XCTAssertEqual(report["protocol"] as? String, "cifar10-full")
        XCTAssertEqual(report["bits"] as? Int, 16)
        let points = try XCTUnwrap(report["points"] as? [[String: Any]])
        XCTAssertEqual(points.compactMap { $0["strength"] as? Double }, [0, 30, 60, 90])
        for point in points {
            for key in ["map", "p_at_10"] {
                let value = try XCTUnwrap(point[key] as? Double, "\(point)")
                XCTAssertTrue((0...1).contains(value), "\(key) \(value)")
            }
        }
        XCTAssertEqual(try XCTUnwrap(points[0]["map"] as? Double), evalMAP, accuracy: 1e-9)
    }

    func testCSVHasTheHeaderAndOneRowPerStrength() throws {
        let (scratch, gallery, model) = try fixture()
        let result = try run(["robustness", "--model", model, "--dataset", gallery, "--protocol", "cifar10-full",
                              "--transform", "rotate:0:20:10", "--queries", "5", "--csv", "--no-cache"], scratch)
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "strength,map,p_at_10")
        XCTAssertEqual(lines.count, 4, result.stdout)
        XCTAssertEqual(lines.dropFirst().map { $0.split(separator: ",").first.map(String.init) }, ["0", "10", "20"])
        for line in lines.dropFirst() { XCTAssertEqual(line.split(separator: ",").count, 3, line) }
    }

    func testTableWithoutATerminalHasNoPlot() throws {
        let (scratch, gallery, model) = try fixture()
        let result = try run(["robustness", "--model", model, "--dataset", gallery, "--protocol", "cifar10-full",
                              "--transform", "brightness:0.5:1:0.5"], scratch)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("strength    mAP      P@10"), result.stdout)
        XCTAssertTrue(result.stdout.contains("\n0.5 "), result.stdout)
        XCTAssertFalse(result.stdout.unicodeScalars.contains { (0x2800...0x28FF).contains($0.value) }, "no plot through a pipe")
    }

    func testBadInputExitsTwoWithOneLine() throws {
        let (scratch, gallery, model) = try fixture()
        let cases: [([String], String)] = [
            (["--model", model, "--dataset", gallery, "--protocol", "cifar10-full", "--transform", "twirl:0:90:15"], "twirl"),
            (["--model", model, "--dataset", gallery, "--protocol", "cifar10-full", "--transform", "rotate:0:90:x"], "rotate:0:90:x"),
            (["--model", model, "--dataset", gallery, "--protocol", "nope", "--transform", "rotate:0:90:15"], "nope"),
            (["--model", scratch.path + "/missing.safetensors", "--dataset", gallery, "--protocol", "cifar10-full",
              "--transform", "rotate:0:90:15"], "missing.safetensors"),
        ]
        for (arguments, needle) in cases {
            let result = try run(["robustness"] + arguments, scratch)
            XCTAssertEqual(result.status, 2, "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stdout, "", "\(arguments)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains(needle), "\(needle) not in: \(result.stderr)")
        }
    }
}
