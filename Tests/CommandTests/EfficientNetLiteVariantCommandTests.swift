import Foundation
import Networks
import Basics
import TestSupport
import XCTest

/// `--backbone efficientnet-lite1` / `-lite2` through `train` and `eval`, and `classify` and
/// `bench backbone --model`, on seeded random weights of the variants' shapes (the structure,
/// not ImageNet's knowledge); with the fetched weights, Corel-1k images classified as Lite0's are.
final class EfficientNetLiteVariantCommandTests: XCTestCase {
    private func environment(_ scratch: ScratchDirectory) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CACHE_HOME"] = scratch.path + "/cache"
        return environment
    }

    private func train(_ backbone: BackboneName, weights: String, gallery: String, out: String,
                       environment: [String: String]) throws -> CommandResult {
        try CommandRunner.run(["train", "--arch", "cbam", "--bits", "16", "--backbone", backbone.rawValue, "--backbone-weights", weights,
                               "--size", "32", "--dataset", gallery, "--protocol", "cifar10-full", "--epochs", "1", "--batch", "8",
                               "--out", out], environment: environment)
    }

    /// The same path as Lite0's heads: the trunk cached, the last stage (the variant's last
    /// block and head conv) in the head's file, eval from the cache giving train's mAP exactly.
    func testACBAMHeadTrainsOnLite1AndLite2AndEvalReproducesItsMAP() throws {
        let scratch = try ScratchDirectory()
        let gallery = try TinyGallery.make(in: scratch)
        for (variant, lastBlock) in [(EfficientNetLiteConfig.Variant.lite1, (192, 320)), (.lite2, (208, 352))] {
            let name = variant.backboneName
            // Where a model file under `scratch` looks for its backbone: <ancestor>/.cache/backbones.
            let weights = scratch.path + "/" + name.defaultWeightsPath
            try RandomBackbone.write(to: weights, tensors: RandomBackbone.tensors(variant))
            let out = scratch.path + "/\(name.rawValue)-head.safetensors"
            let result = try train(name, weights: weights, gallery: gallery, out: out, environment: environment(scratch))
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertTrue(result.stderr.contains("training a cbam head on \(name.rawValue) at 32x32"), result.stderr)

            let file = try SafetensorsFile(path: out)
            let metadata = try XCTUnwrap(try ModelMetadata.decode(file.metadata, path: out))
            XCTAssertEqual(metadata.backbone, name.rawValue)
            XCTAssertEqual(metadata.normalization, .efficientNetLite)
            XCTAssertNil(file.entry("_conv_stem.weight"), "the backbone's weights stay out of the head's file")
            XCTAssertEqual(file.entry("features.stage.expand.weight")?.shape, [lastBlock.0 * 6, lastBlock.0, 1, 1], "\(name)")
            XCTAssertEqual(file.entry("features.stage.head.weight")?.shape, [1280, lastBlock.1, 1, 1], "\(name)")
            let trainedMAP = try XCTUnwrap(metadata.provenance.meanAveragePrecision)

            let eval = try CommandRunner.run(["eval", "--model", out, "--dataset", gallery, "--protocol", "cifar10-full", "--json"],
                                             environment: environment(scratch))
            XCTAssertEqual(eval.status, 0, eval.stderr)
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any], eval.stdout)
            XCTAssertEqual(json["encoded_from"] as? String, "cached backbone features")
            XCTAssertEqual(try XCTUnwrap(json["map"] as? Double), trainedMAP, accuracy: 1e-9, "\(name)")
        }
    }

    /// Lite0's weights passed as Lite1's: one line naming the file and whose weights they are,
    /// exit 2, nothing written.
    func testLite0WeightsGivenAsLite1ExitTwoWithOneLine() throws {
        let scratch = try ScratchDirectory()
        let gallery = try TinyGallery.make(in: scratch)
        let lite0 = scratch.path + "/lite0.safetensors"
        try RandomBackbone.write(to: lite0)
        let out = scratch.path + "/bad.safetensors"
        let bad = try train(.efficientNetLite1, weights: lite0, gallery: gallery, out: out, environment: environment(scratch))
        XCTAssertEqual(bad.status, 2, bad.stderr)
        XCTAssertEqual(bad.stderr.split(separator: "\n").count, 1, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("\(lite0): holds EfficientNet-Lite0 weights, not EfficientNet-Lite1's"), bad.stderr)
        XCTAssertTrue(bad.stderr.contains("scripts/fetch-backbone efficientnet-lite1"), bad.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))

        let missing = try train(.efficientNetLite2, weights: scratch.path + "/absent.safetensors", gallery: gallery, out: out,
                                environment: environment(scratch))
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("absent.safetensors: no such efficientnet-lite2 weights file (scripts/fetch-backbone efficientnet-lite2"),
                      missing.stderr)
    }

    func testClassifyAndBenchTakeEveryVariant() throws {
        for command in [["classify"], ["bench", "backbone"]] {
            let help = try CommandRunner.run(command + ["--help"])
            XCTAssertEqual(help.status, 0)
            let words = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")  // the help wraps lines
            XCTAssertTrue(words.contains("--model <name> The backbone (efficientnet-lite0, efficientnet-lite1, efficientnet-lite2)"), help.stdout)
            let unknown = try CommandRunner.run(command + ["--model", "efficientnet-lite3", "--weights", "/nonexistent/w.safetensors"]
                                                + (command == ["classify"] ? ["x.jpg"] : []))
            XCTAssertNotEqual(unknown.status, 0)
            XCTAssertTrue(unknown.stderr.contains("unknown --model efficientnet-lite3 (known: efficientnet-lite0, efficientnet-lite1, efficientnet-lite2)"),
                          unknown.stderr)
        }
        XCTAssertTrue(try CommandRunner.run(["classify", "--help"]).stdout.contains("--save-outputs"))
    }

    /// `classify --model efficientnet-lite1` at its own side (240) by default; --save-outputs
    /// holds what the network computed, image by image.
    func testClassifySavesInputsTrunkPooledAndLogits() throws {
        let scratch = try ScratchDirectory()
        let weights = scratch.path + "/lite1.safetensors"
        try RandomBackbone.write(to: weights, tensors: RandomBackbone.tensors(.lite1))
        var generator = SeededGenerator(seed: 5)
        let images = try (0..<3).map { i in
            try scratch.write("\(i).ppm", PPMCodec.encode(RGBImage(width: 40 + 10 * i, height: 30,
                                                                    pixels: (0..<(40 + 10 * i) * 30 * 3).map { _ in UInt8(generator.nextInt(below: 256)) })))
        }
        let saved = scratch.path + "/outputs.safetensors"
        let result = try CommandRunner.run(["classify", "--model", "efficientnet-lite1", "--weights", weights, "--batch-size", "2",
                                            "--save-outputs", saved] + images)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout.split(separator: "\n").filter { !$0.hasPrefix(" ") }, images.map { Substring($0) })
        let file = try SafetensorsFile(path: saved)
        let input = try file.tensor("input"), trunk = try file.tensor("trunk")
        let pooled = try file.tensor("pooled"), logits = try file.tensor("logits")
        XCTAssertEqual(input.shape, [3, 3, 240, 240])
        XCTAssertEqual(trunk.shape, [3, 192, 8, 8])
        XCTAssertEqual(pooled.shape, [3, 1280])
        XCTAssertEqual(logits.shape, [3, 1000])
        XCTAssertEqual(file.metadata["model"], "efficientnet-lite1")
        let network = try EfficientNetLite(.lite1, contentsOf: weights)
        assertClose(network.logits(input).scalars, logits.scalars, rtol: 1e-5, atol: 1e-5, "saved logits")
        assertClose(network.trunk(input).scalars, trunk.scalars, rtol: 1e-5, atol: 1e-5, "saved trunk")
    }

    /// forward_gflop of each variant at its own side beside the efficientnet-lite reference's
    /// multiply-adds (Lite0 407 M, Lite1 631 M, Lite2 899 M; Lite0's count here is 385 M, 5% under,
    /// as batch norms, activations and the classifier are not counted).
    func testBenchBackboneRunsEveryVariant() throws {
        let scratch = try ScratchDirectory()
        for (variant, published) in [(EfficientNetLiteConfig.Variant.lite1, 0.631), (.lite2, 0.899)] {
            let weights = scratch.path + "/\(variant.rawValue).safetensors"
            try RandomBackbone.write(to: weights, tensors: RandomBackbone.tensors(variant))
            let side = variant.coefficients.resolution
            let result = try CommandRunner.run(["bench", "backbone", "--model", variant.rawValue, "--weights", weights, "--size", "\(side)",
                                                "--batch", "1", "--iterations", "1", "--warmup", "0", "--json"])
            XCTAssertEqual(result.status, 0, result.stderr)
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout)
            XCTAssertEqual(json["model"] as? String, variant.rawValue)
            XCTAssertEqual(json["feature_map"] as? [Int], [1280, (side + 31) / 32, (side + 31) / 32])
            let multiplyAdds = try XCTUnwrap(json["forward_gflop"] as? Double) / 2
            XCTAssertEqual(multiplyAdds / published, 0.95, accuracy: 0.03, "\(variant): \(multiplyAdds) G multiply-adds")
        }
    }

    /// With the fetched weights: Corel-1k's first ten elephants and buses, at each variant's
    /// own side, get an elephant or bus-like class in their top 5 (as Lite0's do).
    func testFetchedLite1AndLite2RecogniseCorelElephantsAndBuses() throws {
        let images = try TestPaths.sharedDataset("corel1k/images")
        let elephantClasses: Set<Int> = [101, 385, 386]
        let busClasses: Set<Int> = [779, 874, 654, 705, 829, 757, 656, 675, 734]
        var ran = false
        for variant in [EfficientNetLiteConfig.Variant.lite1, .lite2] {
            let weights = TestPaths.repository.appendingPathComponent(variant.backboneName.defaultWeightsPath).path
            guard FileManager.default.fileExists(atPath: weights) else { continue }
            ran = true
            for (range, classes) in [(500..<510, elephantClasses), (300..<310, busClasses)] {
                let paths = range.map { "\(images)/\($0).jpg" }
                let result = try CommandRunner.run(["classify", "--model", variant.rawValue, "--weights", weights] + paths)
                XCTAssertEqual(result.status, 0, result.stderr)
                var current = "", hits = 0
                var top: [String: [Int]] = [:]
                for line in result.stdout.split(separator: "\n") {
                    if !line.hasPrefix("  ") { current = String(line); continue }
                    let fields = line.split(separator: " ")
                    if fields.count >= 3, let index = Int(fields[2]) { top[current, default: []].append(index) }
                }
                for path in paths where !Set(top[path] ?? []).isDisjoint(with: classes) { hits += 1 }
                print("\(variant.displayName) on Corel-1k \(range): \(hits)/\(paths.count) with a matching class in the top 5")
                XCTAssertGreaterThanOrEqual(hits, 8, "\(variant) \(range)")
            }
        }
        if !ran { throw XCTSkip("needs the EfficientNet-Lite1/2 weights; run scripts/fetch-backbone efficientnet-lite1 (and -lite2)") }
    }
}
