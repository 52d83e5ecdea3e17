import Basics
import Foundation
import Networks
import TestSupport
import XCTest

/// ResNet-50 as a pretrained backbone (seed 004's): trunk and last stage, folded, against the
/// whole network built from torchvision's layers with the same weights.
final class ResNet50BackboneTests: XCTestCase {
    /// The backbone's trunk and last stage give the ResNet-50 feature map torchvision's layers give.
    func testTrunkThenLastStageIsTheResNetFeatureMap() {
        let tensors = RandomBackbone.resNet50Tensors(seed: 2)
        let backbone = ResNet50Backbone(tensors: tensors)
        var reference = Architecture.deephashResNet50.build(.init(bits: 8, inputSize: 64))
        reference.visitParameters { name, value, _ in if let t = tensors[String(name.dropFirst("features.".count))] { value = t } }
        reference.visitBuffers { name, value in if let t = tensors[String(name.dropFirst("features.".count))] { value = t } }
        var generator = SeededGenerator(seed: 3)
        let x = Tensor.randomNormal([2, 3, 64, 64], generator: &generator)
        let map = backbone.lastStage()(backbone.trunk(x))
        XCTAssertEqual(map.shape, [2, 2048, 2, 2])
        // The reference's features end in the average pool: compare the pooled maps.
        let pooled = GlobalAvgPool2d()(map), expected = reference.features(x)
        let scale = expected.scalars.map(abs).max() ?? 1
        let diff = zip(pooled.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(diff, 1e-4 * scale)
    }

    func testUntrainedLastStageHasThePretrainedOnesNamesAndShapes() {
        var generator = SeededGenerator(seed: 1)
        let untrained = ResNet50Backbone.untrainedLastStage(&generator).stateDict.map { "\($0.name) \($0.value.shape)" }
        let pretrained = ResNet50Backbone(tensors: RandomBackbone.resNet50Tensors()).lastStage().stateDict.map { "\($0.name) \($0.value.shape)" }
        XCTAssertEqual(untrained, pretrained)
        XCTAssertEqual(BackboneName.resnet50.featureChannels, 2048)
        XCTAssertEqual(BackboneName.resnet50.normalization, .imageNet)
    }

    /// ResNet-50's weights cannot be fetched: a missing file's message says how to import them.
    func testMissingWeightsSayHowToImportThem() {
        for explicit in ["/nonexistent/r50.safetensors", nil] {
            XCTAssertThrowsError(try BackboneWeights.locate(.resnet50, explicit: explicit, roots: ["/nonexistent"])) { error in
                let message = (error as? LocalizedError)?.errorDescription ?? "\(error)"
                XCTAssertTrue(message.contains("hashscope import --torch"), message)
                XCTAssertFalse(message.contains("fetch-backbone"), message)
            }
        }
    }
}
