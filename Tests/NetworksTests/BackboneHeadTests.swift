import Foundation
@testable import Networks
import Basics
import TestSupport
import XCTest

/// Hash heads on EfficientNet-Lite0: the trunk / last-stage split, the heads' shapes and
/// attention maps, the feature cache file and batches, and a head that must learn.
final class BackboneHeadTests: XCTestCase {
    private func images(_ n: Int, side: Int, seed: UInt64) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        return .randomUniform([n, 3, side, side], low: -1, high: 1, generator: &generator)
    }

    func testLastStageContinuesTheTrunk() {
        let backbone = RandomBackbone.model()
        let x = images(2, side: 64, seed: 3)
        let trunk = backbone.trunk(x)
        XCTAssertEqual(trunk.shape, [2, BackboneName.efficientNetLite0.trunkChannels, 2, 2])
        var stage = backbone.lastStage()
        let staged = stage.forward(trunk, training: false).output
        XCTAssertEqual(staged.shape, [2, 1280, 2, 2])
        assertClose(staged.scalars, backbone.features(x).scalars, rtol: 1e-4, atol: 1e-4)
        // The untrained stage has the same names and shapes, so pretrained weights load into it.
        var generator = SeededGenerator(seed: 0)
        let untrained = EfficientNetLite.untrainedLastStage(.lite0, &generator).stateDict
        XCTAssertEqual(untrained.map(\.name), backbone.lastStage().stateDict.map(\.name))
        XCTAssertEqual(untrained.map(\.value.shape), backbone.lastStage().stateDict.map(\.value.shape))
    }

    /// Deeper cuts (`fineTuning(n)`): the trunk stops n blocks from the end, and the head's
    /// stage built for the input size, given the pretrained weights, continues it exactly, at an
    /// odd map side too (72 x 72 reaches block 11, stride 2, as 5 x 5: TF's padding differs
    /// from the even sides'). The one-block layout keeps the names every earlier file holds.
    func testDeeperCutsContinueTheTrunkAtEverySide() {
        let backbone = RandomBackbone.model()
        let config = backbone.config
        var generator = SeededGenerator(seed: 0)
        XCTAssertEqual(EfficientNetLite.untrainedLastStage(.lite0, inputSize: 64, &generator).stateDict.map(\.name),
                       ["expand.weight", "expand.bias", "depthwise.weight", "depthwise.bias", "project.weight", "project.bias",
                        "head.weight", "head.bias"])
        for (n, side) in [(1, 64), (4, 64), (5, 64), (5, 72), (7, 72)] {
            let cut = backbone.fineTuning(n)
            XCTAssertEqual(cut.fineTunedBlocks, n)
            let x = images(2, side: side, seed: UInt64(n))
            let trunk = cut.trunk(x)
            let reduction = BackboneName.efficientNetLite0.reduction(fineTuning: n), mapSide = (side + reduction - 1) / reduction
            XCTAssertEqual(trunk.shape, [2, BackboneName.efficientNetLite0.trunkChannels(fineTuning: n), mapSide, mapSide], "n \(n) side \(side)")
            var stage = EfficientNetLite.untrainedLastStage(.lite0, fineTuning: n, inputSize: side, &generator)
            let pretrained = cut.lastStage().stateDict
            XCTAssertEqual(stage.stateDict.map(\.name), pretrained.map(\.name), "n \(n)")
            XCTAssertEqual(stage.stateDict.map(\.value.shape), pretrained.map(\.value.shape), "n \(n)")
            for (name, value) in pretrained { stage.setParameter(name, to: value) }
            assertClose(stage.forward(trunk, training: false).output.scalars, backbone.features(x).scalars,
                        rtol: 1e-4, atol: 1e-4, "n \(n) side \(side)")
            let names = Set(pretrained.map(\.name))
            for index in config.blocks.count - n..<config.blocks.count - 1 {
                XCTAssertTrue(names.contains("block\(index).depthwise.weight"), "n \(n): block \(index) trains")
            }
            XCTAssertTrue(names.contains("head.weight") && names.contains("project.weight"), "n \(n)")
        }
        XCTAssertEqual(BackboneName.efficientNetLite0.reduction(fineTuning: 5), 16, "block 11 halves the map")
        XCTAssertEqual(BackboneName.efficientNetLite0.trunkChannels(fineTuning: 5), 112)
        XCTAssertEqual(BackboneName.efficientNetLite0.maxFineTunedBlocks, 15)
        XCTAssertEqual(BackboneName.resnet50.maxFineTunedBlocks, 1)
        XCTAssertEqual(BackboneName.efficientNetLite0.trunkDescription(fineTuning: 5), "trunk (blocks 0-10)")
    }

    /// A head fine-tuning five blocks: it starts from the backbone's weights, reads the deeper
    /// trunk's output in training and images end to end alike, and its gradients match finite
    /// differences through a block with a skip and the stride-2 one.
    func testAHeadOnADeeperCutStartsFromTheBackboneAndLearnsThroughIt() {
        let backbone = RandomBackbone.model().fineTuning(5)
        let x = images(2, side: 64, seed: 8)
        var head = Architecture.cbam.build(.init(bits: 12, inputSize: 64, classes: 10, seed: 2, backbone: .efficientNetLite0, fineTunedBlocks: 5))
        head.loadPretrainedStage(from: backbone)
        XCTAssertEqual(head.parameter("features.stage.block11.expand.weight"), backbone.lastStage().parameter("block11.expand.weight"))
        let fromFeatures = head.forward(backbone.trunk(x), training: false).output
        var endToEnd = head
        endToEnd.backbone = backbone
        XCTAssertEqual(endToEnd.forward(x, training: false).output, fromFeatures)

        // d(sum of codes)/d(a weight) of blocks 11 and 12, against central differences.
        let trunk = backbone.trunk(x)
        func loss(_ network: inout HashingNetwork) -> Double {
            network.split(network.forward(trunk, training: true).output).codes.scalars.reduce(0) { $0 + Double($1) }
        }
        var network = head
        let (output, cache) = network.forward(trunk, training: true)
        let ones = Tensor(shape: output.shape) { out in for i in 0..<out.count { out[i] = i % 22 < 12 ? 1 : 0 } }
        network.accumulateParameterGradients(ones, cache: cache)
        var gradients: [String: Tensor] = [:]
        network.visitParameters { name, _, gradient in gradients[name] = gradient }
        for (name, index) in [("features.stage.block11.depthwise.weight", 7), ("features.stage.block12.project.weight", 100),
                              ("features.stage.block12.expand.bias", 3)] {
            var plus = head, minus = head
            let value = head.parameter(name)!, eps: Float = 1e-2
            var up = value, down = value
            up.withUnsafeMutableBufferPointer { $0[index] += eps }
            down.withUnsafeMutableBufferPointer { $0[index] -= eps }
            plus.setParameter(name, to: up)
            minus.setParameter(name, to: down)
            let numeric = (loss(&plus) - loss(&minus)) / Double(2 * eps)
            let analytic = Double(gradients[name]!.scalars[index])
            XCTAssertEqual(analytic, numeric, accuracy: 0.02 * max(1, abs(numeric)), name)
        }
    }

    func testHeadsEncodeTrunkFeaturesOrImagesAlikeAndShowAttention() {
        let backbone = RandomBackbone.model()
        let x = images(3, side: 64, seed: 4)
        for arch in Architecture.allCases where arch.hasBackboneHead {
            var head = arch.build(.init(bits: 12, inputSize: 64, classes: 10, seed: 2, backbone: .efficientNetLite0))
            head.loadPretrainedStage(from: backbone)
            XCTAssertEqual(head.parameter("features.stage.head.weight"), backbone.lastStage().parameter("head.weight"), "\(arch)")
            let fromFeatures = head.forward(backbone.trunk(x), training: false).output
            XCTAssertEqual(head.split(fromFeatures).codes.shape, [3, 12], "\(arch)")
            var endToEnd = head
            endToEnd.backbone = backbone
            XCTAssertEqual(endToEnd.forward(x, training: false).output, fromFeatures, "\(arch)")
            XCTAssertFalse(endToEnd.parameters.contains { !$0.name.hasPrefix("features.") && !$0.name.hasPrefix("hash.")
                && !$0.name.hasPrefix("classifier.") }, "\(arch): the frozen trunk has no parameters")
            let maps = endToEnd.attentionMaps(x).maps
            let shown = ModuleAttentionMap.displayed(among: maps)
            XCTAssertEqual(shown?.map.shape, [3, 2, 2], "\(arch): one (H/32 x W/32) map per image")
        }
    }

    func testFeatureFileRoundTripsAsFloat16() throws {
        let scratch = try ScratchDirectory()
        var generator = SeededGenerator(seed: 9)
        let values = Tensor.randomUniform([3 * 4 * 2 * 2], low: -8, high: 8, generator: &generator).scalars
        let features = BackboneFeatures(itemShape: [4, 2, 2], values: values, readable: [true, false, true])
        try features.save(to: scratch.path + "/f.safetensors", metadata: ["size": "64"])
        let (loaded, metadata) = try BackboneFeatures.load(scratch.path + "/f.safetensors")
        XCTAssertEqual(metadata["size"], "64")
        XCTAssertEqual(loaded.itemShape, [4, 2, 2])
        XCTAssertEqual(loaded.readable, [true, false, true])
        for (a, b) in zip(loaded.values, values) { XCTAssertEqual(a, b, accuracy: abs(b) / 1000 + 1e-4) }
        XCTAssertEqual(loaded.batch([2, 0]).scalars, Array(loaded.values[32..<48] + loaded.values[0..<16]))
        XCTAssertThrowsError(try BackboneFeatures.load(scratch.path + "/absent.safetensors"))
    }

    func testFeaturesOfASubsetHoldOnlyItsRowsAndRoundTrip() throws {
        // Items past 2,048 (where float16 stops counting exactly) among 5,000.
        let items = [3, 2049, 4999], count = 5000
        let features = BackboneFeatures(itemShape: [2, 1, 1], values: [1, 2, 3, 4, 5, 6],
                                        readable: (0..<count).map { $0 != 2049 }, items: items)
        XCTAssertEqual(features.count, count)
        XCTAssertEqual(features.batch([4999, 3]).scalars, [5, 6, 1, 2])
        XCTAssertEqual(features.readable.indices.filter { features.readable[$0] }, [3, 4999],
                       "items outside the subset, and 2049's unreadable image, are unreadable")
        let scratch = try ScratchDirectory()
        try features.save(to: scratch.path + "/subset.safetensors", metadata: [:])
        let loaded = try BackboneFeatures.load(scratch.path + "/subset.safetensors").features
        XCTAssertEqual(loaded.items, items)
        XCTAssertEqual(loaded.readable, features.readable)
        XCTAssertEqual(loaded.batch([4999, 2049]).scalars, [5, 6, 3, 4], "the rows stay their items'")
        // A damaged file's item numbers are an error naming it, not a crash.
        for bad: [Float] in [[3, .nan, 4999], [3, 2049.5, 4999], [3, 4999, 2049]] {
            try SafetensorsWriter.write([.init(name: "features", tensor: Tensor(shape: [3, 2, 1, 1], scalars: [1, 2, 3, 4, 5, 6]), dtype: .f16),
                                         .init(name: "readable", tensor: Tensor(shape: [count], scalars: [Float](repeating: 1, count: count)),
                                               dtype: .f16),
                                         .init(name: "items", tensor: Tensor(shape: [3], scalars: bad))],
                                        metadata: [:], to: scratch.path + "/bad.safetensors")
            XCTAssertThrowsError(try BackboneFeatures.load(scratch.path + "/bad.safetensors"), "\(bad)") { error in
                XCTAssertTrue("\(error.localizedDescription)".contains("bad.safetensors"), "\(error)")
            }
        }
        let whole = BackboneFeatures(itemShape: [1, 1, 1], values: (0..<10).map(Float.init), readable: Array(repeating: true, count: 10))
        let part = whole.subset([2, 7])
        XCTAssertEqual(part.values, [2, 7])
        XCTAssertEqual(part.batch([7, 2]).scalars, [7, 2])
    }

    func testFeatureBatchesVisitTheImageLoadersOrderAndSkipUnreadableItems() {
        let features = BackboneFeatures(itemShape: [1, 1, 1], values: (0..<10).map(Float.init),
                                        readable: (0..<10).map { $0 != 4 })
        let loader = FeatureBatchLoader(indices: Array(0..<10), batchSize: 4, features: features, seed: 7)
        let images = ImageBatchLoader(indices: Array(0..<10), batchSize: 4, preprocessor: ImagePreprocessor(width: 8, height: 8, normalization: .cifar10),
                                      seed: 7) { _ in RGBImage(width: 8, height: 8, pixels: []) }
        XCTAssertEqual(loader.order(epoch: 2), images.order(epoch: 2))
        var pass = loader.batches(visiting: loader.order(epoch: 2), epoch: 2)
        var seen: [Int] = []
        while let batch = pass.nextBatch() {
            XCTAssertEqual(batch.images.scalars, batch.indices.map(Float.init))
            seen += batch.indices
        }
        XCTAssertEqual(seen, loader.order(epoch: 2).filter { $0 != 4 })
        XCTAssertEqual(pass.skippedCount, 1)
    }

    func testAugmentedCopiesAreDrawnPerItemAndEpoch() {
        let plain = BackboneFeatures(itemShape: [1, 1, 1], values: (0..<20).map(Float.init), readable: Array(repeating: true, count: 20))
        let copy = BackboneFeatures(itemShape: [1, 1, 1], values: (0..<20).map { Float($0) + 100 }, readable: plain.readable)
        let loader = FeatureBatchLoader(indices: Array(0..<20), batchSize: 8, features: plain, augmentedCopies: [copy], seed: 5)
        var picks: [Int] = []
        for epoch in 0..<3 {
            var pass = loader.batches(visiting: loader.order(epoch: epoch), epoch: epoch)
            while let batch = pass.nextBatch() {
                for (row, item) in batch.indices.enumerated() {
                    let variant = loader.variant(epoch: epoch, item: item)
                    XCTAssertEqual(batch.images.scalars[row], Float(item) + (variant == 1 ? 100 : 0))
                    picks.append(variant)
                }
            }
        }
        XCTAssertEqual(picks.count, 60)
        XCTAssertTrue((15...45).contains(picks.filter { $0 == 1 }.count), "the copy is drawn about half the time: \(picks)")
        XCTAssertEqual(loader.variant(epoch: 1, item: 3), loader.variant(epoch: 1, item: 3))

        // A copy holding only the training items (the even ones of 20) reads by item, not row.
        let even = Array(stride(from: 0, to: 20, by: 2))
        let sparse = BackboneFeatures(itemShape: [1, 1, 1], values: even.map { Float($0) + 100 }, readable: plain.readable, items: even)
        let subsetLoader = FeatureBatchLoader(indices: even, batchSize: 4, features: plain, augmentedCopies: [sparse], seed: 5)
        var pass = subsetLoader.batches(visiting: subsetLoader.order(epoch: 0), epoch: 0)
        var visited = 0
        while let batch = pass.nextBatch() {
            for (row, item) in batch.indices.enumerated() {
                XCTAssertEqual(batch.images.scalars[row], Float(item) + (subsetLoader.variant(epoch: 0, item: item) == 1 ? 100 : 0))
                visited += 1
            }
        }
        XCTAssertEqual(visited, 10)
    }

    /// Class-patterned trunk features (each class its own random map, plus noise): a cbam head
    /// trained on them must pull same-class codes together.
    func testHeadTrainedOnCachedFeaturesSeparatesClasses() throws {
        let classes = 4, perClass = 10, shape = [BackboneName.efficientNetLite0.trunkChannels, 2, 2]
        let size = shape.reduce(1, *)
        var generator = SeededGenerator(seed: 11)
        let patterns = (0..<classes).map { _ in Tensor.randomUniform([size], low: -2, high: 2, generator: &generator).scalars }
        var values: [Float] = []
        for item in 0..<classes * perClass {
            let noise = Tensor.randomUniform([size], low: -1, high: 1, generator: &generator).scalars
            values += zip(patterns[item % classes], noise).map { $0 + $1 }
        }
        let features = BackboneFeatures(itemShape: shape, values: values, readable: Array(repeating: true, count: classes * perClass))
        let configuration = try XCTUnwrap(TrainingConfiguration(arch: .cbam, bits: 16, classCount: classes, epochs: 8, batchSize: 10,
                                                                learningRate: 1e-3, seed: 3, backbone: .efficientNetLite0, inputSize: 64))
        let source = FeatureBatchLoader(indices: Array(0..<classes * perClass), batchSize: 10, features: features, seed: 3)
        var trainer = HashingTrainer(configuration: configuration, source: source, pretrained: RandomBackbone.model(),
                                     labels: { .classIDs($0.map { $0 % classes }) })
        var losses: [Double] = []
        while !trainer.isFinished {
            guard case .completed(let summary) = trainer.trainEpoch() else { return XCTFail("not interrupted") }
            losses.append(summary.loss)
        }
        XCTAssertLessThan(try XCTUnwrap(losses.last), try XCTUnwrap(losses.first) / 2, "\(losses)")
        let codes = NetworkEncoder.encode(trainer.network, features: features, indices: Array(0..<classes * perClass))
        let bits = codes.values.map { $0 >= 0 }
        func distance(_ a: Int, _ b: Int) -> Int { (0..<16).filter { bits[a * 16 + $0] != bits[b * 16 + $0] }.count }
        var same: [Int] = [], other: [Int] = []
        for a in 0..<classes * perClass {
            for b in a + 1..<classes * perClass { (a % classes == b % classes ? { same.append(distance(a, b)) } : { other.append(distance(a, b)) })() }
        }
        let meanSame = Double(same.reduce(0, +)) / Double(same.count), meanOther = Double(other.reduce(0, +)) / Double(other.count)
        XCTAssertLessThan(meanSame + 3, meanOther, "same-class codes \(meanSame) bits apart, other classes \(meanOther)")
    }
}
