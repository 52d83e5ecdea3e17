import Networks
import TestSupport
import XCTest

final class ActivationTests: XCTestCase {
    private let shape = [2, 3, 2, 3]

    func testReLUFamilyGradients() {
        checkGradients(ReLU(), input: TestTensors.awayFrom([0], shape, seed: 1), "relu")
        checkGradients(ReLU6(), input: TestTensors.awayFrom([0, 6], shape, seed: 2, scale: 4), "relu6")
        checkGradients(LeakyReLU(negativeSlope: 0.2), input: TestTensors.awayFrom([0], shape, seed: 3), "leaky")
    }

    func testSmoothGradients() {
        checkGradients(Sigmoid(), input: TestTensors.normal(shape, seed: 4, scale: 2), "sigmoid")
        checkGradients(Tanh(), input: TestTensors.normal(shape, seed: 5), "tanh")
    }

    func testValues() {
        let x = Tensor(shape: [1, 5], scalars: [-7, -1, 0, 3, 8])
        XCTAssertEqual(ReLU()(x).scalars, [0, 0, 0, 3, 8])
        XCTAssertEqual(ReLU6()(x).scalars, [0, 0, 0, 3, 6])
        XCTAssertEqual(LeakyReLU()(x).scalars, [-0.07, -0.01, 0, 3, 8])
        assertClose(Sigmoid()(x).scalars, [-7, -1, 0, 3, 8].map { 1 / (1 + exp(-$0)) }, rtol: 1e-6, atol: 0, "sigmoid")
        assertClose(Tanh()(x).scalars, [-7, -1, 0, 3, 8].map { tanh($0) }, rtol: 1e-6, atol: 0, "tanh")
        // No overflow at the extremes.
        XCTAssertEqual(Sigmoid()(Tensor(shape: [2], scalars: [-200, 200])).scalars, [0, 1])
    }
}
