import Networks
import TestSupport
import XCTest

final class LossTests: XCTestCase {
    func testSoftmaxCrossEntropyGradient() {
        let logits = TestTensors.normal([4, 5], seed: 1, scale: 2)
        let labels = [0, 3, 4, 3]
        let (_, gradient) = SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: labels)
        // Central differences of the Float loss (GradientCheck.swift argues the tolerances).
        let step: Float = 1e-2
        let numeric = (0..<logits.count).map { i -> Double in
            var plus = logits, minus = logits
            plus[flat: i] += step
            minus[flat: i] -= step
            let up = SoftmaxCrossEntropy.lossAndGradient(logits: plus, labels: labels).loss
            let down = SoftmaxCrossEntropy.lossAndGradient(logits: minus, labels: labels).loss
            return Double(up - down) / (Double(plus[flat: i]) - Double(minus[flat: i]))
        }
        assertClose(gradient.scalars.map(Double.init), numeric, rtol: 1e-3, atol: 1e-4, "d loss / d logits")
    }

    func testSoftmaxCrossEntropyValues() {
        // Uniform logits: log K.
        let uniform = SoftmaxCrossEntropy.lossAndGradient(logits: .zeros([2, 4]), labels: [1, 2])
        XCTAssertEqual(Double(uniform.loss), log(4), accuracy: 1e-6)
        // Large logits do not overflow: [1000, 0] with label 0 costs log(1 + e^-1000) = 0.
        let large = SoftmaxCrossEntropy.lossAndGradient(logits: Tensor(shape: [1, 2], scalars: [1000, 0]), labels: [0])
        XCTAssertEqual(large.loss, 0, accuracy: 1e-6)
        // F.cross_entropy([[1, 2, 3]], [0]) = log(e + e^2 + e^3) - 1.
        let small = SoftmaxCrossEntropy.lossAndGradient(logits: Tensor(shape: [1, 3], scalars: [1, 2, 3]), labels: [0])
        XCTAssertEqual(Double(small.loss), log(exp(1) + exp(2) + exp(3)) - 1, accuracy: 1e-5)
    }
}
