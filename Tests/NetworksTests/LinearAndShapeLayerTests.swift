import Basics
import Networks
import XCTest

final class LinearAndShapeLayerTests: XCTestCase {
    func testLinearGradients() {
        var generator = SeededGenerator(seed: 1)
        checkGradients(Linear(inFeatures: 5, outFeatures: 3, generator: &generator), input: TestTensors.normal([4, 5], seed: 2), "bias")
        let noBias = Linear(inFeatures: 4, outFeatures: 2, bias: false, generator: &generator)
        XCTAssertEqual(noBias.parameters.map(\.name), ["weight"])
        checkGradients(noBias, input: TestTensors.normal([3, 4], seed: 3), "no bias")
    }

    func testLinearUsesPyTorchWeightLayout() {
        let layer = Linear(weight: Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]), bias: Tensor(shape: [2], scalars: [10, 20]))
        let expected: [Float] = [1 + 2 + 6 + 10, 4 + 5 + 12 + 20]
        XCTAssertEqual(layer(Tensor(shape: [1, 3], scalars: [1, 1, 2])).scalars, expected)
    }

    func testDropoutGradientsAndScaling() {
        checkGradients(Dropout(probability: 0.4, seed: 5), input: TestTensors.normal([3, 8], seed: 4), "dropout")
        var dropout = Dropout(probability: 0.25, seed: 9)
        let ones = Tensor(shape: [100, 100], repeating: 1)
        let (output, _) = dropout.forward(ones, training: true)
        let kept = output.scalars.filter { $0 != 0 }
        XCTAssertTrue(kept.allSatisfy { abs($0 - 1 / 0.75) < 1e-6 }, "survivors scaled by 1/(1-p)")
        XCTAssertEqual(Double(kept.count) / 10_000, 0.75, accuracy: 0.02)
        XCTAssertEqual(dropout.forward(ones, training: false).output, ones, "identity in evaluation")
        // Seeded: the same seed drops the same elements; the generator moves on each call.
        var again = Dropout(probability: 0.25, seed: 9)
        XCTAssertEqual(again.forward(ones, training: true).output, output)
        XCTAssertNotEqual(again.forward(ones, training: true).output, output)
    }

    func testFlatten() {
        checkGradients(Flatten(), input: TestTensors.normal([2, 3, 2, 2], seed: 6), "flatten")
        XCTAssertEqual(Flatten()(Tensor.zeros([2, 3, 4, 5])).shape, [2, 60])
    }
}
