import Foundation

// Pointwise activations, x: (any shape) -> (same shape). Each caches what its derivative needs:
// the input where the derivative depends on which side of a kink x lies (ReLU family), the
// output where the derivative is a function of it (sigmoid, tanh).

/// The elementwise backward shared by the activations: dx[i] = dy[i] * derivative(saved[i]).
@inline(__always)
private func pointwiseBackward(_ gradOutput: Tensor, _ saved: Tensor, _ derivative: (Float) -> Float) -> Tensor {
    precondition(gradOutput.shape == saved.shape, "activation gradient \(gradOutput.shape) for output \(saved.shape)")
    return gradOutput.zipMap(saved) { dy, s in dy * derivative(s) }
}

/// max(0, x). The derivative at 0 is taken as 0, as PyTorch does.
public struct ReLU: Layer {
    public init() {}
    public func forward(_ input: Tensor, training: Bool) -> (output: Tensor, cache: Tensor) {
        (input.map { max(0, $0) }, input)
    }
    public func backward(_ gradOutput: Tensor, cache input: Tensor) -> Tensor {
        pointwiseBackward(gradOutput, input) { $0 > 0 ? 1 : 0 }
    }
}

/// min(max(0, x), 6) (MobileNet, EfficientNet-Lite).
public struct ReLU6: Layer {
    public init() {}
    public func forward(_ input: Tensor, training: Bool) -> (output: Tensor, cache: Tensor) {
        (input.map { min(max(0, $0), 6) }, input)
    }
    public func backward(_ gradOutput: Tensor, cache input: Tensor) -> Tensor {
        pointwiseBackward(gradOutput, input) { $0 > 0 && $0 < 6 ? 1 : 0 }
    }
}

/// x for x > 0, slope * x otherwise (PyTorch's default slope 0.01).
public struct LeakyReLU: Layer {
    public var negativeSlope: Float
    public init(negativeSlope: Float = 0.01) { self.negativeSlope = negativeSlope }
    public func forward(_ input: Tensor, training: Bool) -> (output: Tensor, cache: Tensor) {
        let slope = negativeSlope
        return (input.map { $0 > 0 ? $0 : slope * $0 }, input)
    }
    public func backward(_ gradOutput: Tensor, cache input: Tensor) -> Tensor {
        let slope = negativeSlope
        return pointwiseBackward(gradOutput, input) { $0 > 0 ? 1 : slope }
    }
}

/// 1 / (1 + e^-x); caches the output y, since dy/dx = y (1 - y).
public struct Sigmoid: Layer {
    public init() {}
    public func forward(_ input: Tensor, training: Bool) -> (output: Tensor, cache: Tensor) {
        let output = input.map(Sigmoid.sigmoid)
        return (output, output)
    }
    public func backward(_ gradOutput: Tensor, cache output: Tensor) -> Tensor {
        pointwiseBackward(gradOutput, output) { $0 * (1 - $0) }
    }

    /// Stable for large |x|: never exponentiates a positive number.
    @inline(__always)
    public static func sigmoid(_ x: Float) -> Float {
        if x >= 0 { return 1 / (1 + expf(-x)) }
        let e = expf(x)
        return e / (1 + e)
    }
}

/// tanh(x); caches the output y, since dy/dx = 1 - y^2.
public struct Tanh: Layer {
    public init() {}
    public func forward(_ input: Tensor, training: Bool) -> (output: Tensor, cache: Tensor) {
        let output = input.map { tanhf($0) }
        return (output, output)
    }
    public func backward(_ gradOutput: Tensor, cache output: Tensor) -> Tensor {
        pointwiseBackward(gradOutput, output) { 1 - $0 * $0 }
    }
}
