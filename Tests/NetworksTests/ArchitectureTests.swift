import Networks
import Basics
import TestSupport
import XCTest

final class ArchitectureTests: XCTestCase {
    func testSequentialNamesAndChainsLikePyTorch() {
        var generator = SeededGenerator(seed: 1)
        let net = Sequential([
            Conv2d(inChannels: 2, outChannels: 3, kernelSize: 3, padding: Padding(1), generator: &generator),
            ReLU(),
            Flatten(),
            Linear(inFeatures: 3 * 4 * 4, outFeatures: 5, generator: &generator),
        ])
        XCTAssertEqual(net.parameters.map(\.name), ["0.weight", "0.bias", "3.weight", "3.bias"])
        let input = Tensor.randomNormal([2, 2, 4, 4], generator: &generator)
        XCTAssertEqual(net(input).shape, [2, 5])
        checkGradients(net, input: input, "sequential")
    }

    /// The head's own backward (activation derivative, codes and logits side by side) on a
    /// smooth feature extractor; every layer of the real architectures is checked on its own.
    func testHashingNetworkHeadGradients() {
        var generator = SeededGenerator(seed: 2)
        for activation in [CodeActivation.tanh, .sigmoid] {
            for classes in [nil, 3] as [Int?] {
                let features = Sequential([Flatten(), Linear(inFeatures: 12, outFeatures: 6, generator: &generator), Tanh()])
                let net = HashingNetwork(features: features, featureCount: 6, bits: 4, classes: classes,
                                         activation: activation, generator: &generator)
                checkGradients(net, input: Tensor.randomNormal([3, 3, 2, 2], generator: &generator), "\(activation) \(classes ?? 0)")
            }
        }
    }

    func testDSHShapesAndNames() {
        let net = Architecture.dsh.build(.init(bits: 12, inputSize: 32, classes: 10, seed: 3))
        XCTAssertEqual(net.parameters.map(\.name), [
            "features.0.weight", "features.0.bias", "features.3.weight", "features.3.bias",
            "features.6.weight", "features.6.bias", "features.10.weight", "features.10.bias",
            "hash.weight", "hash.bias", "classifier.weight", "classifier.bias",
        ])
        XCTAssertEqual(net.parameters.first { $0.name == "features.10.weight" }?.value.shape, [500, 576])
        var generator = SeededGenerator(seed: 4)
        let output = net(Tensor.randomNormal([2, 3, 32, 32], generator: &generator))
        XCTAssertEqual(output.shape, [2, 22])
        let (codes, logits) = net.split(output)
        XCTAssertEqual(codes.shape, [2, 12])
        XCTAssertEqual(logits?.shape, [2, 10])
        XCTAssertTrue(codes.scalars.allSatisfy { $0 > -1 && $0 < 1 })
    }

    /// The must-converge test of the whole architecture: DSH's pairwise loss on a fixed batch
    /// of 8 images in 2 classes drives same-class codes together and the two classes apart.
    func testDSHLearnsToSeparateAFixedBatch() {
        var net = Architecture.dsh.build(.init(bits: 8, inputSize: 16, seed: 6))
        var generator = SeededGenerator(seed: 7)
        let labels = [0, 1, 0, 1, 0, 1, 0, 1]
        // Two classes that differ in brightness pattern, plus noise.
        let images = Tensor(shape: [8, 3, 16, 16]) { out in
            for i in 0..<out.count {
                let image = i / (3 * 256), x = i % 16
                out[i] = (labels[image] == 0 ? (x < 8 ? 1 : -1) : (x < 8 ? -1 : 1)) + 0.3 * generator.nextNormal()
            }
        }
        let loss = PairwiseContrastiveLoss(bits: 8)
        var optimizer = Adam(learningRate: 1e-3)
        var first: Float = 0, last: Float = 0
        for step in 0..<60 {
            net.zeroGrad()
            let (output, cache) = net.forward(images, training: true)
            let (value, gradient) = loss.lossAndGradient(codes: output, labels: .classIDs(labels))
            if step == 0 { first = value }
            last = value
            _ = net.backward(gradient, cache: cache)
            optimizer.step(&net)
        }
        XCTAssertLessThan(last, first * 0.2, "loss \(first) -> \(last)")
        let codes = binarySigns(net(images))
        XCTAssertEqual(codes[0], codes[2])
        XCTAssertEqual(codes[1], codes[3])
        XCTAssertNotEqual(codes[0], codes[1])
    }

    func testSeedsDecideTheInitialWeights() {
        let a = Architecture.dsh.build(.init(bits: 16, seed: 9)), b = Architecture.dsh.build(.init(bits: 16, seed: 9))
        let c = Architecture.dsh.build(.init(bits: 16, seed: 10))
        XCTAssertEqual(a.stateDict.map(\.value), b.stateDict.map(\.value))
        XCTAssertNotEqual(a.stateDict.map(\.value), c.stateDict.map(\.value))
    }
}

/// Sign bits of each row, for comparing codes.
private func binarySigns(_ codes: Tensor) -> [[Bool]] {
    let bits = codes.shape[1]
    return (0..<codes.shape[0]).map { row in (0..<bits).map { codes[flat: row * bits + $0] >= 0 } }
}

final class PaperArchitectureTests: XCTestCase {
    /// Every --arch builds for CIFAR-sized input, gives codes in its activation's range and
    /// logits where it has a classifier, names its parameters uniquely, and back-propagates
    /// to an input-shaped, finite gradient (each module's gradients are checked on their own).
    func testEveryArchitectureRunsForwardAndBackward() {
        var generator = SeededGenerator(seed: 11)
        let images = Tensor.randomNormal([2, 3, 32, 32], generator: &generator)
        // (The torchvision families take 224 x 224 and have no classifier: TorchvisionArchitectureTests.)
        let variants = Architecture.allCases.filter { !$0.isTorchvisionFamily }.map { ($0, false) }
            + Architecture.allCases.filter(\.takesBatchNorm).map { ($0, true) }
        for (arch, batchNorm) in variants {
            var net = arch.build(.init(bits: 16, inputSize: 32, classes: 10, seed: 1, batchNorm: batchNorm))
            let names = net.stateDict.map(\.name)
            XCTAssertEqual(Set(names).count, names.count, "\(arch): duplicate parameter names")
            // The batch-norm variant is the one its file's names say (how every command opens a file).
            XCTAssertEqual(arch.batchNorm(inFileWith: names, backbone: nil), batchNorm, "\(arch) batch norm \(batchNorm)")
            let (output, cache) = net.forward(images, training: true)
            let (codes, logits) = net.split(output)
            XCTAssertEqual(codes.shape, [2, 16], "\(arch)")
            XCTAssertEqual(logits?.shape, [2, 10], "\(arch)")
            switch net.activation {
            case .tanh: XCTAssertTrue(codes.scalars.allSatisfy { $0 > -1 && $0 < 1 }, "\(arch)")
            case .sigmoid: XCTAssertTrue(codes.scalars.allSatisfy { $0 > 0 && $0 < 1 }, "\(arch)")
            case .linear: XCTAssertTrue(codes.scalars.allSatisfy(\.isFinite), "\(arch)")
            }
            let gradient = net.backward(Tensor.randomNormal(output.shape, generator: &generator), cache: cache)
            XCTAssertEqual(gradient.shape, images.shape, "\(arch)")
            XCTAssertTrue(gradient.scalars.allSatisfy(\.isFinite), "\(arch)")
            XCTAssertTrue(net.gradients.allSatisfy { $0.value.scalars.allSatisfy(\.isFinite) }, "\(arch)")
        }
    }

    /// Training's backward without the input gradient adds exactly backward's parameter
    /// gradients, for every architecture (the first convolution skips W^T dy and col2im).
    func testParameterGradientsWithoutTheInputGradientAreBackwards() {
        var generator = SeededGenerator(seed: 12)
        let images = Tensor.randomNormal([3, 3, 32, 32], generator: &generator)
        for arch in Architecture.allCases where !arch.isTorchvisionFamily {
            var full = arch.build(.init(bits: 12, inputSize: 32, classes: 10, seed: 2)), lean = full
            let (output, cache) = full.forward(images, training: true)
            let (_, leanCache) = lean.forward(images, training: true)
            let gradOutput = Tensor.randomNormal(output.shape, generator: &generator)
            _ = full.backward(gradOutput, cache: cache)
            lean.accumulateParameterGradients(gradOutput, cache: leanCache)
            let expected = full.gradients, got = lean.gradients
            XCTAssertEqual(got.map(\.name), expected.map(\.name), "\(arch)")
            for (e, g) in zip(expected, got) {
                XCTAssertEqual(g.value.scalars, e.value.scalars, "\(arch): \(e.name)")
            }
            // (DANet's zero-initialised gamma leaves PAM's convolutions without one, so only
            // the first layer's, the one whose path changed, is checked to be nonzero.)
            XCTAssertTrue(got.first?.value.scalars.contains { $0 != 0 } ?? false, "\(arch): the first layer has a gradient")
        }
    }

    /// DLBHC's latent layer learns only through the classifier above it.
    func testClassifierOnCodesGradients() {
        var generator = SeededGenerator(seed: 12)
        let features = Sequential([Flatten(), Linear(inFeatures: 12, outFeatures: 6, generator: &generator), Tanh()])
        let net = HashingNetwork(features: features, featureCount: 6, bits: 4, classes: 3, activation: .sigmoid,
                                 classifierOnCodes: true, generator: &generator)
        XCTAssertEqual(net.parameters.first { $0.name == "classifier.weight" }?.value.shape, [3, 4])
        checkGradients(net, input: Tensor.randomNormal([3, 3, 2, 2], generator: &generator), "codes classifier")
    }
}
