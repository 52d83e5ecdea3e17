import Foundation
import Networks
import Basics
import Render
import TestSupport
import XCTest

/// `hashscope bench backbone`: argument checks, weights errors, and the shape of what it prints
/// and saves (not its timings), on random weights of EfficientNet-Lite0's shapes so that the
/// imported ImageNet weights are not needed.
final class BenchBackboneCommandTests: XCTestCase {
    /// A safetensors file with every tensor EfficientNet-Lite0 reads, random (positive variances).
    private func randomWeights(in scratch: ScratchDirectory) throws -> String {
        var generator = SeededGenerator(seed: 7)
        let items = EfficientNetLiteConfig(.lite0).expectedTensors.map { name, shape -> SafetensorsWriter.Item in
            let tensor = name.hasSuffix("running_var")
                ? Tensor.randomUniform(shape, low: 0.5, high: 1.5, generator: &generator)
                : Tensor.randomNormal(shape, standardDeviation: 0.1, generator: &generator)
            return SafetensorsWriter.Item(name: name, tensor: tensor)
        }
        let path = scratch.path + "/lite0-random.safetensors"
        try SafetensorsWriter.write(items, to: path)
        return path
    }

    func testHelpAndArgumentChecks() throws {
        let help = try CommandRunner.run(["bench", "backbone", "--help"])
        XCTAssertEqual(help.status, 0)
        for option in ["--size", "--batch", "--threads", "--iterations", "--warmup", "--weights", "--save-features", "--json"] {
            XCTAssertTrue(help.stdout.contains(option), "\(option) missing from:\n\(help.stdout)")
        }
        XCTAssertTrue(try CommandRunner.run(["bench", "--help"]).stdout.contains("backbone"))

        let bad: [([String], String)] = [
            (["--size", "16"], "--size must be in 32...1024"),
            (["--size", "2000"], "--size must be in 32...1024"),
            (["--batch", "0"], "--batch must be in 1...1024"),
            (["--threads", "0"], "--threads must be in 1...256"),
            (["--iterations", "0"], "--iterations must be in 1...10000"),
            (["--warmup", "1001"], "--warmup must be in 0...1000"),
        ]
        for (arguments, message) in bad {
            let result = try CommandRunner.run(["bench", "backbone", "--weights", "/nonexistent/w.safetensors"] + arguments)
            XCTAssertNotEqual(result.status, 0, "\(arguments)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }

    func testMissingOrCorruptWeightsExitTwo() throws {
        let missing = try CommandRunner.run(["bench", "backbone", "--weights", "/nonexistent/lite0.safetensors"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("/nonexistent/lite0.safetensors"), missing.stderr)
        XCTAssertTrue(missing.stderr.contains("scripts/fetch-backbone"), missing.stderr)

        let scratch = try ScratchDirectory()
        let corrupt = try scratch.write("corrupt.safetensors", Array("not a model".utf8))
        let bad = try CommandRunner.run(["bench", "backbone", "--weights", corrupt])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains(corrupt), bad.stderr)
    }

    func testJSONKeysAndSavedFeatures() throws {
        let scratch = try ScratchDirectory()
        let weights = try randomWeights(in: scratch)
        let saved = scratch.path + "/features.safetensors"
        let result = try CommandRunner.run(["bench", "backbone", "--weights", weights, "--size", "40", "--batch", "2",
                                            "--threads", "2", "--iterations", "3", "--warmup", "1", "--json",
                                            "--save-features", saved])
        XCTAssertEqual(result.status, 0, result.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout)
        XCTAssertEqual(json["model"] as? String, "efficientnet-lite0")
        XCTAssertEqual(json["size"] as? Int, 40)
        XCTAssertEqual(json["batch"] as? Int, 2)
        XCTAssertEqual(json["threads"] as? Int, 2)
        XCTAssertEqual(json["iterations"] as? Int, 3)
        XCTAssertEqual(json["warmup"] as? Int, 1)
        XCTAssertEqual(json["feature_map"] as? [Int], [1280, 2, 2], "40 -> 20, 10, 5, 3, 2 (TF 'same', ceil)")
        let msPerBatch = try XCTUnwrap(json["ms_per_batch"] as? Double)
        let msPerImage = try XCTUnwrap(json["ms_per_image"] as? Double)
        let imagesPerSecond = try XCTUnwrap(json["images_per_second"] as? Double)
        XCTAssertGreaterThan(msPerBatch, 0)
        XCTAssertEqual(msPerImage * 2, msPerBatch, accuracy: 1e-9 * msPerBatch)
        XCTAssertEqual(imagesPerSecond, 2000 / msPerBatch, accuracy: 1e-6 * imagesPerSecond)
        let least = try XCTUnwrap(json["min_ms_per_batch"] as? Double), most = try XCTUnwrap(json["max_ms_per_batch"] as? Double)
        XCTAssertTrue(least <= msPerBatch && msPerBatch <= most, "\(least) \(msPerBatch) \(most)")
        XCTAssertGreaterThan(try XCTUnwrap(json["forward_gflop"] as? Double), 0)
        XCTAssertGreaterThan(try XCTUnwrap(json["gflops"] as? Double), 0)

        let file = try SafetensorsFile(path: saved)
        let input = try file.tensor("input"), pooled = try file.tensor("pooled")
        XCTAssertEqual(input.shape, [2, 3, 40, 40])
        XCTAssertEqual(pooled.shape, [2, 1280])
        XCTAssertTrue(input.scalars.allSatisfy { $0 >= -127 / 128 && $0 < 129 / 128 }, "normalised pixels")
        XCTAssertTrue(pooled.scalars.allSatisfy { $0 >= 0 && $0 <= 6 }, "means of ReLU6 outputs")
        XCTAssertGreaterThan(pooled.scalars.max() ?? 0, 0)
        // The saved pooled features are the network's on the saved input.
        let network = try EfficientNetLite(.lite0, contentsOf: weights)
        assertClose(network.pooled(network.features(input)).scalars, pooled.scalars, rtol: 1e-5, atol: 1e-6, "saved pooled")
    }

    func testTextOutputAndSingleImage() throws {
        let scratch = try ScratchDirectory()
        let weights = try randomWeights(in: scratch)
        let result = try CommandRunner.run(["bench", "backbone", "--weights", weights, "--size", "32", "--batch", "1",
                                            "--threads", "1", "--iterations", "2", "--warmup", "0"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("32x32, batch 1, 1 threads, median of 2 after 0 warm-up"), result.stdout)
        XCTAssertTrue(result.stdout.contains("ms/batch") && result.stdout.contains("ms/image") && result.stdout.contains("images/s"),
                      result.stdout)
    }

    /// The multiply-add count behind forward_gflop: EfficientNet-Lite0 at 224 is about 385 M
    /// (the published 0.4 GFLOPs counts multiply-adds), and a batch scales it.
    func testForwardGFLOPCount() throws {
        let scratch = try ScratchDirectory()
        let weights = try randomWeights(in: scratch)
        let result = try CommandRunner.run(["bench", "backbone", "--weights", weights, "--size", "224", "--batch", "1",
                                            "--iterations", "1", "--warmup", "0", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let gflop = try XCTUnwrap(json["forward_gflop"] as? Double)
        XCTAssertEqual(gflop / 2, 0.385, accuracy: 0.01, "multiply-adds in G")
        XCTAssertEqual(json["feature_map"] as? [Int], [1280, 7, 7])
    }
}
