import Basics
import Foundation
import Networks
import XCTest

/// conv-bn-relu-pool-linear, written the way models are: a struct of layers with an explicit
/// forward that keeps every cache and a backward that runs them in reverse.
private struct TinyNet {
    var conv: Conv2d, bn: BatchNorm2d, relu = ReLU(), pool = MaxPool2d(kernelSize: 2), flatten = Flatten(), fc: Linear

    init(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        conv = Conv2d(inChannels: 3, outChannels: 8, kernelSize: 3, padding: 1, generator: &generator)
        bn = BatchNorm2d(numFeatures: 8)
        fc = Linear(inFeatures: 8 * 4 * 4, outFeatures: 4, generator: &generator)
    }

    /// One SGD step on (x, labels); returns the loss before the step.
    mutating func step(_ x: Tensor, labels: [Int], learningRate: Float) -> Float {
        let (a, ca) = conv.forward(x, training: true)
        let (b, cb) = bn.forward(a, training: true)
        let (c, cc) = relu.forward(b, training: true)
        let (d, cd) = pool.forward(c, training: true)
        let (e, ce) = flatten.forward(d, training: true)
        let (logits, cf) = fc.forward(e, training: true)
        let (loss, gradLogits) = SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: labels)

        conv.zeroGrad(); bn.zeroGrad(); fc.zeroGrad()
        let gradE = fc.backward(gradLogits, cache: cf)
        let gradD = flatten.backward(gradE, cache: ce)
        let gradC = pool.backward(gradD, cache: cd)
        let gradB = relu.backward(gradC, cache: cc)
        let gradA = bn.backward(gradB, cache: cb)
        _ = conv.backward(gradA, cache: ca)

        func sgd<L: Layer>(_ layer: inout L) {
            layer.visitParameters { _, value, gradient in value.addScaled(gradient, by: -learningRate) }
        }
        sgd(&conv); sgd(&bn); sgd(&fc)
        return loss
    }
}

final class TinyModelTests: XCTestCase {
    func testTinyModelOverfitsAFixedBatch() {
        let images = TestTensors.normal([16, 3, 8, 8], seed: 100)
        let labels = (0..<16).map { $0 % 4 }
        var model = TinyNet(seed: 101)
        let start = Date()
        var losses: [Float] = []
        for _ in 0..<300 {
            losses.append(model.step(images, labels: labels, learningRate: 0.1))
            if losses.last! < 0.05 { break }
        }
        let seconds = Date().timeIntervalSince(start)
        XCTAssertGreaterThan(losses[0], 1.0, "starts near log 4")
        XCTAssertLessThan(losses.last!, 0.05, "after \(losses.count) steps the loss is still \(losses.last!)")
        XCTAssertLessThan(seconds, 10)
        print("tiny model: loss \(losses[0]) -> \(losses.last!) in \(losses.count) steps, \(String(format: "%.2f", seconds)) s")
    }
}
