import Foundation
import Networks
import TestSupport
import XCTest

/// Seed 004's pipeline, CNN + CBAM on a ResNet-50 trunk, on Corel-1k: `train --backbone resnet50`
/// with randomly initialised ResNet-50 weights (the mechanics: the real torchvision weights
/// are the user's to import, the README says how), at 64 x 64 so a CI run stays short.
final class ResNetBackboneHeadCommandTests: XCTestCase {
    func testACBAMHeadOnResNet50TrainsOnCorelSavesAndEncodesAsItTrained() throws {
        let images = try TestPaths.sharedDataset("corel1k/images")
        let scratch = try ScratchDirectory()
        // Where a model file under `scratch` looks for its backbone: <ancestor>/.cache/backbones.
        let weights = scratch.path + "/" + BackboneName.resnet50.defaultWeightsPath
        try RandomBackbone.write(to: weights, tensors: RandomBackbone.resNet50Tensors())
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CACHE_HOME"] = scratch.path + "/cache"
        try FileManager.default.createDirectory(atPath: scratch.path + "/models", withIntermediateDirectories: true)
        let out = scratch.path + "/models/corel-resnet50-cbam-16.safetensors"
        let train = try CommandRunner.run(["train", "--arch", "cbam", "--bits", "16", "--backbone", "resnet50", "--backbone-weights", weights,
                                           "--size", "64", "--dataset", "corel:" + images, "--protocol", "corel1k", "--epochs", "1",
                                           "--out", out], environment: environment)
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stderr.contains("training a cbam head on resnet50 at 64x64"), train.stderr)

        let file = try SafetensorsFile(path: out)
        let metadata = try XCTUnwrap(try ModelMetadata.decode(file.metadata, path: out))
        XCTAssertEqual(metadata.backbone, "resnet50")
        XCTAssertEqual(metadata.normalization, .imageNet)
        XCTAssertNil(file.entry("conv1.weight"), "the backbone's weights stay out of the head's file")
        XCTAssertNotNil(file.entry("features.stage.block.conv3.weight"), "layer4's last bottleneck, fine-tuned, is the head's")
        XCTAssertTrue(file.names.contains { $0.hasPrefix("features.cbam.") }, "seed 004's CBAM on the feature map")
        let trainedMAP = try XCTUnwrap(metadata.provenance.meanAveragePrecision)

        // Reloaded, the head reads the cached trunk features as train did: the same mAP exactly.
        let eval = try CommandRunner.run(["eval", "--model", out, "--dataset", "corel:" + images, "--protocol", "corel1k", "--json"],
                                         environment: environment)
        XCTAssertEqual(eval.status, 0, eval.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any], eval.stdout)
        XCTAssertEqual(json["encoded_from"] as? String, "cached backbone features")
        XCTAssertEqual(try XCTUnwrap(json["map"] as? Double), trainedMAP, accuracy: 1e-9)

        // A weights file that is not ResNet-50's: one line naming it, exit 2, nothing written.
        let wrong = scratch.path + "/effnet.safetensors"
        try RandomBackbone.write(to: wrong)
        let bad = try CommandRunner.run(["train", "--arch", "cbam", "--bits", "16", "--backbone", "resnet50", "--backbone-weights", wrong,
                                         "--size", "64", "--dataset", "corel:" + images, "--protocol", "corel1k", "--epochs", "1",
                                         "--out", scratch.path + "/models/bad.safetensors"], environment: environment)
        XCTAssertEqual(bad.status, 2, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("effnet.safetensors") && bad.stderr.contains("conv1.weight: missing"), bad.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path + "/models/bad.safetensors"))
    }
}
