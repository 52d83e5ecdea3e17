import Foundation
import Basics
import Render
import TestSupport
import XCTest

/// `robustness` end to end on TestSupport's tiny gallery and its 1-epoch model.
final class RobustnessCommandTests: XCTestCase {
    private func fixture() throws -> (scratch: ScratchDirectory, gallery: String, model: String) {
        let fixture = try TrainedTinyModel.get()
        return (fixture.scratch, fixture.gallery, fixture.model)
    }

    private func run(_ arguments: [String], _ scratch: ScratchDirectory) throws -> CommandResult {
        try TrainedTinyModel.get().run(arguments)
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

    func testSheetHasOneRowPerStrength() throws {
        let (scratch, gallery, model) = try fixture()
        let one = scratch.path + "/robust-1.jpg", three = scratch.path + "/robust-3.jpg"
        for (path, transform) in [(one, "rotate:0:0:30"), (three, "rotate:0:60:30")] {
            let result = try run(["robustness", "--model", model, "--dataset", gallery, "--protocol", "cifar10-full",
                                  "--transform", transform, "--sheet", path, "--json"], scratch)
            XCTAssertEqual(result.status, 0, result.stderr)
        }
        let single = try ImageDecoder.decode(file: one), triple = try ImageDecoder.decode(file: three)
        XCTAssertEqual(triple.width, single.width)
        XCTAssertEqual(triple.height, 3 * single.height + 2 * 8, "three rows of the one-row figure, 8 pixels apart")
        let missing = try run(["robustness", "--model", model, "--dataset", gallery, "--protocol", "cifar10-full",
                               "--transform", "rotate:0:60:30", "--sheet", scratch.path + "/r.jpg", "--sheet-query", "nope"], scratch)
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("--sheet-query nope"), missing.stderr)
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
