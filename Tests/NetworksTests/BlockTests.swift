import Basics
import Networks
import TestSupport
import XCTest

/// NIN's mlpconv block and DFEH's feature-enhancement layer.
final class BlockTests: XCTestCase {
    func testMLPConvGradientsNamesAndShapes() {
        var generator = SeededGenerator(seed: 40)
        let block = MLPConv(inChannels: 3, channels: (5, 4, 2), kernelSize: 3, generator: &generator)
        XCTAssertEqual(block.parameters.map(\.name), ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
                                                     "conv3.weight", "conv3.bias"])
        XCTAssertEqual(block.parameters.map(\.value.shape), [[5, 3, 3, 3], [5], [4, 5, 1, 1], [4], [2, 4, 1, 1], [2]])
        XCTAssertEqual(block.outChannels, 2)
        let x = TestTensors.normal([2, 3, 3, 3], seed: 41)
        let y = block(x)
        XCTAssertEqual(y.shape, [2, 2, 3, 3])
        XCTAssertTrue(y.scalars.allSatisfy { $0 >= 0 }, "mlpconv ends with a ReLU")
        checkGradientsAwayFromKinks(block, input: x, pattern: mlpconvPattern, "mlpconv 3x3")

        // NIN's first block on CIFAR: 5x5, padding 2; a strided variant shrinks the map.
        let strided = MLPConv(inChannels: 2, channels: (3, 3, 2), kernelSize: 5, stride: 2, generator: &generator)
        XCTAssertEqual(strided(TestTensors.normal([1, 2, 7, 6], seed: 42)).shape, [1, 2, 4, 3])
        checkGradientsAwayFromKinks(strided, input: TestTensors.normal([2, 2, 5, 5], seed: 43), pattern: mlpconvPattern,
                                    "mlpconv 5x5 stride 2")
    }

    /// The three ReLUs' patterns.
    private func mlpconvPattern(_ block: MLPConv, _ x: Tensor) -> [Int] {
        let relu = ReLU()
        let z1 = block.conv1(x), z2 = block.conv2(relu(z1)), z3 = block.conv3(relu(z2))
        return positivePattern(z1) + positivePattern(z2) + positivePattern(z3)
    }

    func testMLPConvMatchesItsLayersInOrder() {
        var generator = SeededGenerator(seed: 44)
        let block = MLPConv(inChannels: 2, channels: (3, 4, 2), kernelSize: 3, generator: &generator)
        let x = TestTensors.normal([2, 2, 3, 3], seed: 45)
        let relu = ReLU()
        let expected = relu(block.conv3(relu(block.conv2(relu(block.conv1(x))))))
        XCTAssertEqual(block(x), expected)
    }

    /// hashscope's nin: batch norm between each convolution and its ReLU, convolutions without bias.
    func testMLPConvWithBatchNormNamesGradientsAndOrder() {
        var generator = SeededGenerator(seed: 46)
        let block = MLPConv(inChannels: 3, channels: (5, 4, 2), kernelSize: 3, batchNorm: true, generator: &generator)
        XCTAssertEqual(block.parameters.map(\.name), ["conv1.weight", "bn1.weight", "bn1.bias", "conv2.weight", "bn2.weight",
                                                     "bn2.bias", "conv3.weight", "bn3.weight", "bn3.bias"])
        XCTAssertEqual(block.buffers.map(\.name), ["bn1.running_mean", "bn1.running_var", "bn2.running_mean",
                                                  "bn2.running_var", "bn3.running_mean", "bn3.running_var"])
        let x = TestTensors.normal([3, 3, 4, 4], seed: 47)
        // Training: forward and backward are the sublayers' own (each gradient-checked on its own,
        // BatchNorm through its batch statistics), chained conv -> bn -> relu, in both directions.
        var probe = block
        let (output, cache) = probe.forward(x, training: true)
        let gradOutput = TestTensors.normal(output.shape, seed: 48)
        let gradInput = probe.backward(gradOutput, cache: cache)
        var convs = [block.conv1, block.conv2, block.conv3], norms = [block.norm1!, block.norm2!, block.norm3!]
        var convCaches: [Conv2d.Cache] = [], normCaches: [BatchNorm2d.Cache] = [], activated: [Tensor] = []
        var value = x
        for i in 0..<3 {
            let (z, convCache) = convs[i].forward(value, training: true)
            let (normalised, normCache) = norms[i].forward(z, training: true)
            value = ReLU().forward(normalised, training: true).output
            convCaches.append(convCache); normCaches.append(normCache); activated.append(value)
        }
        XCTAssertEqual(output, value, "training forward")
        var gradient = gradOutput
        for i in (0..<3).reversed() {
            gradient = ReLU().backward(gradient, cache: activated[i])
            gradient = norms[i].backward(gradient, cache: normCaches[i])
            gradient = convs[i].backward(gradient, cache: convCaches[i])
        }
        XCTAssertEqual(gradInput, gradient, "input gradient")
        let chained = (0..<3).flatMap { i in
            convs[i].gradients.map { ("conv\(i + 1).\($0.name)", $0.value) } + norms[i].gradients.map { ("bn\(i + 1).\($0.name)", $0.value) }
        }
        XCTAssertEqual(probe.gradients.map(\.name), chained.map(\.0))
        XCTAssertEqual(probe.gradients.map(\.value), chained.map(\.1), "parameter gradients")
        XCTAssertTrue(probe.gradients.allSatisfy { $0.value.scalars.contains { $0 != 0 } }, "every parameter has a gradient")

        // Training moves the running statistics; evaluation is conv -> bn -> relu with them.
        var trained = block
        _ = trained.forward(x, training: true)
        XCTAssertNotEqual(trained.buffers.map(\.value), block.buffers.map(\.value), "training moves the running statistics")
        let relu = ReLU()
        let n1 = trained.norm1!, n2 = trained.norm2!, n3 = trained.norm3!
        let expected = relu(n3(trained.conv3(relu(n2(trained.conv2(relu(n1(trained.conv1(x)))))))))
        XCTAssertEqual(trained(x), expected)
    }

    func testFeatureEnhancementGradientsNamesAndForm() {
        var generator = SeededGenerator(seed: 50)
        let layer = FeatureEnhancement(channels: 3, generator: &generator)
        XCTAssertEqual(layer.parameters.map(\.name), ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias"])
        XCTAssertEqual(layer.parameters.map(\.value.shape), [[3, 3, 3, 3], [3], [3, 3, 3, 3], [3]])
        let x = TestTensors.normal([2, 3, 4, 5], seed: 51)
        // y = x + conv2(relu(conv1(x)))
        assertClose(layer(x).scalars, (x + layer.conv2(ReLU()(layer.conv1(x)))).scalars, rtol: 1e-6, atol: 1e-6, "form")
        checkGradientsAwayFromKinks(layer, input: x, pattern: { positivePattern($0.conv1($1)) }, "feature enhancement")
    }

    func testBatchEqualsImageByImage() {
        var generator = SeededGenerator(seed: 60)
        let x = TestTensors.normal([5, 3, 6, 5], seed: 61)
        assertBatchMatchesImages(MLPConv(inChannels: 3, channels: (8, 6, 4), kernelSize: 3, generator: &generator), x, "mlpconv")
        assertBatchMatchesImages(FeatureEnhancement(channels: 3, generator: &generator), x, "feature enhancement")
    }
}
