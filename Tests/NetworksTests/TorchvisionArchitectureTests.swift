import Basics
@testable import Networks
import TestSupport
import XCTest

/// The torchvision families DeepHash-pytorch trains (AlexNet, VGG-16, ResNets with a hash
/// layer): their layer lists against torchvision's published parameter counts and names, the
/// ResNet block's gradients, and the renaming of DeepHash-pytorch's state dicts. Their outputs
/// against PyTorch are `scripts/parity-pytorch --torchvision`'s (torch is not installed in CI).
final class TorchvisionArchitectureTests: XCTestCase {
    /// torchvision's parameter counts (its documentation's model table) less the ImageNet
    /// classifier's last fc (1000 x F + 1000), plus a hash layer of `bits`.
    func testParameterCountsMatchTorchvisionWithAHashLayerForTheImageNetClassifier() {
        let bits = 48
        let torchvision: [(Architecture, total: Int, features: Int)] = [
            (.deephashAlexNet, 61_100_840, 4096), (.deephashVGG16, 138_357_544, 4096),
            (.deephashResNet18, 11_689_512, 512), (.deephashResNet34, 21_797_672, 512),
            (.deephashResNet50, 25_557_032, 2048), (.deephashResNet101, 44_549_160, 2048),
        ]
        for (arch, total, features) in torchvision {
            let network = arch.build(.init(bits: bits, inputSize: 224))
            let count = network.parameters.reduce(0) { $0 + $1.value.count }
            XCTAssertEqual(count, total - (features * 1000 + 1000) + features * bits + bits, "\(arch.rawValue)")
            XCTAssertNil(network.classifier, "\(arch.rawValue) has no classifier")
            XCTAssertEqual(network.activation, .linear, "\(arch.rawValue): codes are the sign of the hash layer")
        }
    }

    /// Names under "features." are torchvision's: the prefix is all an import changes.
    func testResNetNamesAreTorchvisionNamesUnderFeatures() {
        let network = Architecture.deephashResNet50.build(.init(bits: 16, inputSize: 224))
        let names = Set(network.stateDict.map(\.name))
        for name in ["features.conv1.weight", "features.bn1.running_var", "features.layer1.0.conv3.weight",
                     "features.layer1.0.downsample.0.weight", "features.layer1.0.downsample.1.bias",
                     "features.layer4.2.bn3.running_mean", "hash.weight", "hash.bias"] {
            XCTAssertTrue(names.contains(name), name)
        }
        XCTAssertFalse(names.contains("features.layer1.1.downsample.0.weight"), "only a block that changes shape projects")
        // 53 convolutions... as torchvision: 53 conv weights and 53 batch norms of 4 tensors each, the hash layer.
        XCTAssertEqual(names.count, 53 + 53 * 4 + 2)
        let alexNames = Set(Architecture.deephashAlexNet.build(.init(bits: 16, inputSize: 224)).stateDict.map(\.name))
        XCTAssertEqual(alexNames, Set(["features.features.0", "features.features.3", "features.features.6", "features.features.8",
                                       "features.features.10", "features.classifier.1", "features.classifier.4", "hash"]
            .flatMap { ["\($0).weight", "\($0).bias"] }))
    }

    /// Forward at a small input gives (N, bits); training's backward without the input gradient
    /// adds exactly backward's parameter gradients (as PaperArchitectureTests checks the six archs).
    func testResNetForwardAndItsLeanBackward() {
        var full = Architecture.deephashResNet18.build(.init(bits: 12, inputSize: 64)), lean = full
        let x = TestTensors.normal([2, 3, 64, 64], seed: 1)
        let (output, cache) = full.forward(x, training: true)
        XCTAssertEqual(output.shape, [2, 12])
        XCTAssertTrue(output.scalars.allSatisfy(\.isFinite))
        let (_, leanCache) = lean.forward(x, training: true)
        let dy = TestTensors.normal(output.shape, seed: 2)
        XCTAssertEqual(full.backward(dy, cache: cache).shape, x.shape)
        lean.accumulateParameterGradients(dy, cache: leanCache)
        for (e, g) in zip(full.gradients, lean.gradients) {
            XCTAssertEqual(g.value.scalars, e.value.scalars, e.name)
        }
        XCTAssertTrue(lean.gradients.first?.value.scalars.contains { $0 != 0 } ?? false)
    }

    /// The block against the same computation composed from layers whose gradients are checked
    /// on their own (Branches summing body and shortcut, then ReLU): same outputs, same input
    /// and parameter gradients. (Finite differences through a block's three inner ReLUs cross
    /// kinks at any useful step, so the composition is the reference.)
    func testBottleneckAndBasicBlockMatchTheirCompositionFromCheckedLayers() {
        var generator = SeededGenerator(seed: 5)
        let cases: [(ResNetBlock, [Int], String)] = [
            (ResNetBlock(.bottleneck, inChannels: 4, planes: 2, stride: 2, generator: &generator), [2, 4, 5, 5], "bottleneck, stride 2"),
            (ResNetBlock(.bottleneck, inChannels: 8, planes: 2, stride: 1, generator: &generator), [2, 8, 4, 4], "bottleneck, identity"),
            (ResNetBlock(.basic, inChannels: 3, planes: 3, stride: 1, generator: &generator), [2, 3, 4, 4], "basic, identity"),
            (ResNetBlock(.basic, inChannels: 3, planes: 6, stride: 2, generator: &generator), [2, 3, 6, 6], "basic, stride 2"),
        ]
        for (block, shape, label) in cases {
            for training in [false, true] {
                var ours = block
                var reference = Sequential(named: [
                    ("block", Branches(block.body, block.downsample ?? Sequential([]), merge: .sum, names: ("body", "shortcut"))),
                    ("relu", ReLU()),
                ])
                let x = TestTensors.normal(shape, seed: 11)
                let (y, cache) = ours.forward(x, training: training)
                let (expected, referenceCache) = reference.forward(x, training: training)
                XCTAssertEqual(y.scalars, expected.scalars, "\(label) output")
                let dy = TestTensors.normal(y.shape, seed: 12)
                assertNear(ours.backward(dy, cache: cache), reference.backward(dy, cache: referenceCache), "\(label) d/dx")
                let names = reference.gradients.map { $0.name.replacingOccurrences(of: "block.body.", with: "")
                    .replacingOccurrences(of: "block.shortcut.", with: "downsample.") }
                XCTAssertEqual(ours.gradients.map(\.name), names, label)
                for (mine, theirs) in zip(ours.gradients, reference.gradients) {
                    assertNear(mine.value, theirs.value, "\(label) \(mine.name) training \(training)")
                }
            }
        }
        XCTAssertEqual(cases[0].0.stateDict.map(\.name).filter { $0.hasSuffix("weight") },
                       ["conv1.weight", "bn1.weight", "conv2.weight", "bn2.weight", "conv3.weight", "bn3.weight",
                        "downsample.0.weight", "downsample.1.weight"])
        XCTAssertNil(cases[1].0.downsample, "same shape: identity shortcut")
    }

    private func assertNear(_ a: Tensor, _ b: Tensor, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, label, file: file, line: line)
        let scale = max(1e-6, b.scalars.map { abs($0) }.max() ?? 0)
        let diff = zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(diff / scale, 1e-5, label, file: file, line: line)
    }

    func testDeepHashNamesMapOntoHashscopeNames() {
        func map(_ name: String, _ arch: Architecture) -> TorchvisionStateDict.Mapping { TorchvisionStateDict.mapping(of: name, arch: arch) }
        XCTAssertEqual(map("layer3.5.bn2.running_mean", .deephashResNet50), .rename("features.layer3.5.bn2.running_mean"))
        XCTAssertEqual(map("module.conv1.weight", .deephashResNet50), .rename("features.conv1.weight"), "DataParallel's prefix")
        XCTAssertEqual(map("feature_layers.6.0.downsample.0.weight", .deephashResNet50), .alias("features.layer3.0.downsample.0.weight"))
        XCTAssertEqual(map("feature_layers.1.bias", .deephashResNet18), .alias("features.bn1.bias"))
        XCTAssertEqual(map("hash_layer.weight", .deephashResNet101), .rename("hash.weight"))
        XCTAssertEqual(map("fc.bias", .deephashResNet34), .rename("hash.bias"), "torchvision's fc replaced by a hash layer")
        XCTAssertEqual(map("feature_layers.8.weight", .deephashResNet50), .unknown, "the average pool has no weights")
        XCTAssertEqual(map("hash_layer.4.weight", .deephashAlexNet), .rename("features.classifier.4.weight"))
        XCTAssertEqual(map("hash_layer.6.bias", .deephashAlexNet), .rename("hash.bias"))
        XCTAssertEqual(map("features.10.weight", .deephashAlexNet), .rename("features.features.10.weight"))
        XCTAssertEqual(map("classifier.classifier3.weight", .deephashVGG16), .rename("features.classifier.3.weight"))
        XCTAssertEqual(map("hash_layer.bias", .deephashVGG16), .rename("hash.bias"))
        XCTAssertEqual(map("feature_layers.1.classifier0.bias", .deephashVGG16), .alias("features.classifier.0.bias"))
        XCTAssertEqual(map("feature_layers.0.28.weight", .deephashVGG16), .alias("features.features.28.weight"))
        XCTAssertEqual(map("model_vgg.classifier.6.weight", .deephashVGG16), .unused)
        XCTAssertEqual(map("model_vgg.features.0.bias", .deephashVGG16), .alias("features.features.0.bias"))
        XCTAssertEqual(map("layer1.0.conv1.weight", .deephashAlexNet), .unknown, "a ResNet is not an AlexNet")
        XCTAssertEqual(map("conv1.weight", .dsh), .unknown)
    }

    func testTheFamiliesAreImportedNotTrained() {
        XCTAssertEqual(Architecture.allCases.filter(\.isTorchvisionFamily).count, 7)
        XCTAssertFalse(Architecture.cbam.isTorchvisionFamily)
        XCTAssertTrue(Architecture.allCases.filter(\.isTorchvisionFamily).allSatisfy { TrainingRecipe.recipe(for: $0) == nil },
                      "imported, not trained here")
    }
}

/// `foldingBatchNorms()`: the encoding copy of a network gives its evaluation-mode outputs (to
/// float rounding) with no batch norm left, for every architecture that has them, the papers'
/// networks with `--batch-norm` included.
final class BatchNormFoldingTests: XCTestCase {
    func testFoldedNetworksEncodeAsTheirOriginals() {
        let variants = Architecture.allCases.map { ($0, false) } + Architecture.allCases.filter(\.takesBatchNorm).map { ($0, true) }
        for (arch, batchNorm) in variants {
            let size = arch.isTorchvisionFamily ? 64 : 32
            guard arch != .deephashAlexNet, arch != .deephashVGG16, arch.torchvisionResNetDepth ?? 18 <= 34 else { continue }
            var network = arch.build(.init(bits: 16, inputSize: size, seed: 4, batchNorm: batchNorm))
            // Trained-looking statistics, so the fold has something to fold.
            var generator = SeededGenerator(seed: 8)
            network.visitBuffers { name, value in
                value = value.map { _ in name.hasSuffix("running_var") ? 0.5 + generator.nextFloat() : generator.nextFloat() - 0.5 }
            }
            let folded = network.foldingBatchNorms()
            let x = TestTensors.normal([2, 3, size, size], seed: 9)
            let expected = network(x), got = folded(x)
            let scale = expected.scalars.map(abs).max() ?? 1
            let diff = zip(got.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? 0
            let name = arch.rawValue + (batchNorm ? "+bn" : "")
            XCTAssertLessThanOrEqual(diff, 1e-5 * max(1, scale), name)
            XCTAssertEqual(folded.buffers.map(\.name), [], "\(name): batch norms left")
            if batchNorm || [.cbam, .deephashResNet18].contains(arch) { XCTAssertFalse(network.buffers.isEmpty, "\(name) has batch norms") }
        }
    }
}
