import Foundation

/// Adam with bias correction, PyTorch's `torch.optim.Adam`, and AdamW (`decoupledWeightDecay`,
/// PyTorch's `torch.optim.AdamW`):
///
///     t = t + 1
///     g = grad + weight_decay * p          (Adam: L2 folded into the gradient)
///     p = p * (1 - lr * weight_decay)      (AdamW instead: decay outside the moments)
///     m = m + (1 - beta1) * (g - m)
///     v = beta2 * v + (1 - beta2) * g * g
///     p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
///
/// The step count t is per parameter, as in PyTorch, and saved with the moments as a Float32
/// scalar (exact up to 2^24 steps, far beyond any run here).
public struct Adam: Optimizer {
    public var learningRate: Double
    public let beta1: Double
    public let beta2: Double
    public let epsilon: Double
    public let weightDecay: Double
    public let decoupledWeightDecay: Bool
    public private(set) var state: [String: Tensor] = [:]

    public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
                weightDecay: Double = 0, decoupledWeightDecay: Bool = false) {
        precondition(learningRate >= 0, "learning rate must be >= 0, got \(learningRate)")
        precondition((0..<1).contains(beta1) && (0..<1).contains(beta2), "betas must be in [0, 1), got \(beta1), \(beta2)")
        precondition(epsilon >= 0 && weightDecay >= 0, "epsilon and weight decay must be >= 0")
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
    }

    /// AdamW with PyTorch's defaults (weight decay 0.01).
    public static func adamW(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
                             epsilon: Double = 1e-8, weightDecay: Double = 1e-2) -> Adam {
        Adam(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
             weightDecay: weightDecay, decoupledWeightDecay: true)
    }

    public var kind: String { decoupledWeightDecay ? "adamw" : "adam" }

    private static let step = OptimizerSlot("step", isScalar: true)
    private static let expAvg = OptimizerSlot("exp_avg")
    private static let expAvgSq = OptimizerSlot("exp_avg_sq")

    public var slots: [OptimizerSlot] { [Self.step, Self.expAvg, Self.expAvgSq] }

    public mutating func step<Model: Layer>(_ model: inout Model) {
        let lr = learningRate, beta1 = self.beta1, beta2 = self.beta2
        let weightDecay = self.weightDecay, decoupled = decoupledWeightDecay
        let eps = Float(epsilon), averaging1 = Float(1 - beta1), keep2 = Float(beta2), averaging2 = Float(1 - beta2)
        model.visitParameters { name, value, gradient in
            let stepKey = OptimizerState.key(name, Self.step)
            let t = Double(state[stepKey]?[flat: 0] ?? 0) + 1
            state[stepKey] = Tensor(shape: [], scalars: [Float(t)])

            var g = gradient
            if decoupled {
                if weightDecay != 0 { value *= Float(1 - lr * weightDecay) }
            } else {
                OptimizerKernels.addWeightDecay(&g, parameter: value, decay: weightDecay)
            }
            var m = OptimizerKernels.take(OptimizerState.key(name, Self.expAvg), from: &state) { .zeros(like: value) }
            var v = OptimizerKernels.take(OptimizerState.key(name, Self.expAvgSq), from: &state) { .zeros(like: value) }
            // Scalars in Double, as PyTorch computes them in Python floats.
            let stepSize = Float(lr / (1 - pow(beta1, t)))
            let correction2 = Float((1 - pow(beta2, t)).squareRoot())
            value.withUnsafeMutableBufferPointer { p in
                m.withUnsafeMutableBufferPointer { m in
                    v.withUnsafeMutableBufferPointer { v in
                        g.withUnsafeBufferPointer { g in
                            for i in 0..<p.count {
                                m[i] += averaging1 * (g[i] - m[i])
                                v[i] = keep2 * v[i] + averaging2 * g[i] * g[i]
                                p[i] -= stepSize * m[i] / (v[i].squareRoot() / correction2 + eps)
                            }
                        }
                    }
                }
            }
            state[OptimizerState.key(name, Self.expAvg)] = m
            state[OptimizerState.key(name, Self.expAvgSq)] = v
        }
    }

    public mutating func restoreState<Model: Layer>(_ state: [String: Tensor], for model: Model,
                                                    source: String) throws(OptimizerStateError) {
        self.state = try OptimizerState.validated(state, slots: slots, for: model, source: source)
    }
}
