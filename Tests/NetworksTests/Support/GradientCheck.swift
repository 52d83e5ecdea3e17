import Basics
import Networks
import TestSupport
import XCTest

/// Finite-difference gradient checks that exercise the REAL Float32 forward and backward code.
///
/// The probe loss is L = sum(output * R) for fixed random weights R, so dL/d(output) = R and the
/// layer's backward(R) must equal dL/d(input) and dL/d(parameter). The reference is the central
/// difference (L(v + h) - L(v - h)) / (v+h - v-h) of the real forward, with L accumulated in
/// Double and the denominator taken from the Float values actually used (so rounding of v +- h
/// costs nothing).
///
/// Why Float and these tolerances: the layers are Float32 only (their speed is the point), and a
/// Double reference forward would test a copy instead of the code. A Float forward rounds each
/// output at about 6e-8 relative, so L carries an error near 1e-7 * sum|y * R|; divided by 2h
/// with h = 1e-2 that is ~1e-5 * sum|y R| at worst, ~1e-6 for the tiny tensors used here. The
/// truncation error of central differences is h^2/6 * f''' ~ 2e-5 for outputs of order 1 (zero
/// for layers linear in the perturbed value, such as conv in x or W). So the default rtol 1e-3
/// with atol 1e-4 x max(1, the gradient's largest element) is about 10x above the noise (every
/// check here also passes at 1e-4), and still catches a gradient off by 1% (tried: a 1.01 factor
/// in the depthwise dW fails), let alone a wrong index or a missing term.
/// Kinked layers (ReLU, max pooling) need inputs further than h from their kinks and ties.
///
/// Every parameter is checked, every element, and backward's accumulation (+=) is checked by
/// running it twice with the same cache.
func checkGradients<L: Layer>(
    _ layer: L, input: Tensor, training: Bool = true, step: Float = 1e-2,
    rtol: Double = 1e-3, atol: Double = 1e-4, seed: UInt64 = 7,
    _ label: String = "", file: StaticString = #filePath, line: UInt = #line
) {
    var generator = SeededGenerator(seed: seed)
    var probe = layer
    probe.zeroGrad()
    let (output, cache) = probe.forward(input, training: training)
    let weights = Tensor.randomNormal(output.shape, generator: &generator)
    let gradInput = probe.backward(weights, cache: cache)
    XCTAssertEqual(gradInput.shape, input.shape, "\(label) input gradient shape", file: file, line: line)
    let analytic = probe.gradients

    /// L for a fresh copy of `candidate` (so Dropout replays the same mask and BatchNorm's
    /// running statistics do not drift between evaluations).
    func loss(_ candidate: L, _ x: Tensor) -> Double {
        var copy = candidate
        return copy.forward(x, training: training).output.dot(weights)
    }

    /// The central difference for each element of `value`, evaluated by `evaluate`.
    func numericGradient(of value: Tensor, _ evaluate: (Tensor) -> Double) -> [Double] {
        (0..<value.count).map { i in
            var plus = value, minus = value
            plus[flat: i] = value[flat: i] + step
            minus[flat: i] = value[flat: i] - step
            return (evaluate(plus) - evaluate(minus)) / (Double(plus[flat: i]) - Double(minus[flat: i]))
        }
    }

    func compare(_ got: Tensor, _ numeric: [Double], _ what: String) {
        let scale = max(1, numeric.reduce(0) { max($0, abs($1)) })
        assertClose(got.scalars.map(Double.init), numeric, rtol: rtol, atol: atol * scale, "\(label) \(what)", file: file, line: line)
    }

    compare(gradInput, numericGradient(of: input) { loss(layer, $0) }, "d/d(input)")
    for (name, value) in layer.parameters {
        guard let got = analytic.first(where: { $0.name == name })?.value else {
            XCTFail("\(label) no gradient for \(name)", file: file, line: line)
            continue
        }
        let numeric = numericGradient(of: value) { perturbed in
            var candidate = layer
            candidate.setParameter(name, to: perturbed)
            return loss(candidate, input)
        }
        compare(got, numeric, "d/d(\(name))")
    }

    // Backward adds: a second backward with the same cache doubles every parameter gradient.
    _ = probe.backward(weights, cache: cache)
    for ((name, once), (_, twice)) in zip(analytic, probe.gradients) {
        assertClose(twice.scalars, (once * 2).scalars, rtol: 1e-5, atol: 1e-6, "\(label) \(name) accumulates", file: file, line: line)
    }
}

/// Test inputs: seeded normal tensors, and ones kept away from kinks and ties.
enum TestTensors {
    static func normal(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        return Tensor.randomNormal(shape, standardDeviation: scale, generator: &generator)
    }

    /// Normal draws, each pushed at least `margin` away from every value in `kinks`.
    static func awayFrom(_ kinks: [Float], _ shape: [Int], seed: UInt64, scale: Float = 1, margin: Float = 0.1) -> Tensor {
        normal(shape, seed: seed, scale: scale).map { value in
            var v = value
            for kink in kinks where abs(v - kink) < margin { v = kink + (v >= kink ? margin : -margin) }
            return v
        }
    }

    /// Distinct values 0.1 apart in a seeded random order, centred on 0: no two are within 2h
    /// of each other, so a max stays the max under a finite-difference step.
    static func distinct(_ shape: [Int], seed: UInt64) -> Tensor {
        let count = shape.reduce(1, *)
        var generator = SeededGenerator(seed: seed)
        var order = Array(0..<count)
        for i in stride(from: count - 1, to: 0, by: -1) {
            order.swapAt(i, Int(generator.next() % UInt64(i + 1)))
        }
        return Tensor(shape: shape, scalars: order.map { (Float($0) - Float(count) / 2) * 0.1 })
    }
}
