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
