import Basics
import Networks
import XCTest

final class TensorAndLayerProtocolTests: XCTestCase {
    func testTensorBasics() {
        var t = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(t[1, 2], 6)
        t[0, 1] = 20
        XCTAssertEqual(t.scalars, [1, 20, 3, 4, 5, 6])
        XCTAssertEqual(t.reshaped([3, 2]).shape, [3, 2])
        let u = Tensor(shape: [2, 3], repeating: 2)
        XCTAssertEqual((t + u)[flat: 0], 3)
        XCTAssertEqual((t - u)[flat: 0], -1)
        XCTAssertEqual((t * u)[flat: 1], 40)
        XCTAssertEqual((0.5 * t)[flat: 1], 10)
        var v = t
        v += u
        XCTAssertEqual(v[flat: 0], 3)
        XCTAssertEqual(t[flat: 0], 1, "value semantics: the copy changed, not the original")
        XCTAssertEqual(t.sum(), 39)
        XCTAssertEqual(t.maxAbs(), 20)
        XCTAssertEqual(t.dot(u), 78)
        v.zero()
        XCTAssertEqual(v, .zeros([2, 3]))
    }

    func testRandomTensorsAreSeededAndInRange() {
        // The generator's own stream is checked in RenderTests (SeededGeneratorTests).
        var a = SeededGenerator(seed: 5), b = SeededGenerator(seed: 5)
        XCTAssertEqual(Tensor.randomNormal([10], generator: &a), Tensor.randomNormal([10], generator: &b))
        let uniform = Tensor.randomUniform([1000], low: -2, high: 3, generator: &a)
        XCTAssertTrue(uniform.scalars.allSatisfy { $0 >= -2 && $0 < 3 })
        let normal = Tensor.randomNormal([20_000], mean: 1, standardDeviation: 2, generator: &a)
        XCTAssertEqual(normal.mean(), 1, accuracy: 0.05)
    }

    func testParametersByNameGetSetAndZeroGrad() {
        var generator = SeededGenerator(seed: 1)
        var conv = Conv2d(inChannels: 2, outChannels: 3, kernelSize: 3, generator: &generator)
        XCTAssertEqual(conv.parameters.map(\.name), ["weight", "bias"])
        XCTAssertEqual(conv.parameters.map(\.value.shape), [[3, 2, 3, 3], [3]])
        XCTAssertEqual(conv.parameterCount, 57)
        XCTAssertEqual(conv.gradients.map(\.name), ["weight", "bias"])
        // PyTorch's initialisation bound 1/sqrt(fan_in), fan_in = 18.
        XCTAssertLessThanOrEqual(conv.weight.maxAbs(), 1 / Float(18).squareRoot())

        let ones = Tensor(shape: [3], repeating: 1)
        conv.setParameter("bias", to: ones)
        XCTAssertEqual(conv.parameter("bias"), ones)
        XCTAssertEqual(conv.bias, ones)
        conv.setGradient("bias", to: ones)
        XCTAssertEqual(conv.gradient("bias"), ones)
        conv.zeroGrad()
        XCTAssertEqual(conv.gradient("bias"), .zeros([3]))
        XCTAssertNil(conv.parameter("running_mean"))

        // A gradient step through visitParameters changes the layer in place.
        conv.setGradient("bias", to: ones)
        conv.visitParameters { _, value, gradient in value.addScaled(gradient, by: -0.5) }
        XCTAssertEqual(conv.bias, Tensor(shape: [3], repeating: 0.5))
    }

    func testCopiesAreIndependent() {
        var generator = SeededGenerator(seed: 2)
        let original = Linear(inFeatures: 2, outFeatures: 2, generator: &generator)
        var copy = original
        copy.setParameter("weight", to: .zeros([2, 2]))
        XCTAssertNotEqual(original.weight, copy.weight)
    }
}

final class MemoryTuningTests: XCTestCase {
    func testKeepFreedMemoryForReuseAppliesOnGlibcAndIsRepeatable() {
        XCTAssertTrue(MemoryTuning.keepFreedMemoryForReuse())
        XCTAssertTrue(MemoryTuning.keepFreedMemoryForReuse())
        // Large allocations still work and come back zeroed.
        let big = Tensor.zeros([9, 1024, 1024])
        XCTAssertEqual(big.maxAbs(), 0)
    }
}
