/// RMSProp, PyTorch's `torch.optim.RMSprop` (eps added outside the square root):
///
///     g = grad + weight_decay * p
///     s = alpha * s + (1 - alpha) * g * g
///     a = g_avg + (1 - alpha) * (g - g_avg);  avg = sqrt(s - a * a) + eps   (centered)
///     avg = sqrt(s) + eps                                                   (otherwise)
///     buf = momentum * buf + g / avg;  p = p - lr * buf                     (momentum > 0)
///     p = p - lr * g / avg                                                  (otherwise)
///
/// All state starts at zero (the momentum buffer too, unlike SGD's).
public struct RMSProp: Optimizer {
    public var learningRate: Double
    public let alpha: Double
    public let epsilon: Double
    public let weightDecay: Double
    public let momentum: Double
    public let centered: Bool
    public private(set) var state: [String: Tensor] = [:]

    public init(learningRate: Double = 1e-2, alpha: Double = 0.99, epsilon: Double = 1e-8,
                weightDecay: Double = 0, momentum: Double = 0, centered: Bool = false) {
        precondition(learningRate >= 0, "learning rate must be >= 0, got \(learningRate)")
        precondition(alpha >= 0 && alpha < 1, "alpha must be in [0, 1), got \(alpha)")
        precondition(epsilon >= 0 && weightDecay >= 0 && momentum >= 0, "epsilon, weight decay and momentum must be >= 0")
        self.learningRate = learningRate
        self.alpha = alpha
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.momentum = momentum
        self.centered = centered
    }

    public var kind: String { "rmsprop" }

    private static let squareAverage = OptimizerSlot("square_avg")
    private static let gradientAverage = OptimizerSlot("grad_avg")
    private static let momentumBuffer = OptimizerSlot("momentum_buffer")

    public var slots: [OptimizerSlot] {
        [Self.squareAverage] + (centered ? [Self.gradientAverage] : []) + (momentum > 0 ? [Self.momentumBuffer] : [])
    }

    public mutating func step<Model: Layer>(_ model: inout Model) {
        let lr = Float(learningRate), keep = Float(alpha), averaging = Float(1 - alpha)
        let eps = Float(epsilon), momentum = Float(self.momentum), weightDecay = self.weightDecay
        let centered = self.centered, useMomentum = self.momentum > 0
        model.visitParameters { name, value, gradient in
            var g = gradient
            OptimizerKernels.addWeightDecay(&g, parameter: value, decay: weightDecay)
            let zeros = { Tensor.zeros(like: value) }
            var s = OptimizerKernels.take(OptimizerState.key(name, Self.squareAverage), from: &state, orMake: zeros)
            // Empty stand-ins when a slot is off keep one loop for every variant.
            var a = centered ? OptimizerKernels.take(OptimizerState.key(name, Self.gradientAverage), from: &state, orMake: zeros) : Tensor.zeros([0])
            var b = useMomentum ? OptimizerKernels.take(OptimizerState.key(name, Self.momentumBuffer), from: &state, orMake: zeros) : Tensor.zeros([0])
            value.withUnsafeMutableBufferPointer { p in
                g.withUnsafeBufferPointer { g in
                    s.withUnsafeMutableBufferPointer { s in
                        a.withUnsafeMutableBufferPointer { a in
                            b.withUnsafeMutableBufferPointer { b in
                                for i in 0..<p.count {
                                    s[i] = keep * s[i] + averaging * g[i] * g[i]
                                    var variance = s[i]
                                    if centered {
                                        a[i] += averaging * (g[i] - a[i])
                                        // Rounding can push s - a^2 a hair below zero; sqrt would give NaN.
                                        variance = max(0, s[i] - a[i] * a[i])
                                    }
                                    let average = variance.squareRoot() + eps
                                    if useMomentum {
                                        b[i] = momentum * b[i] + g[i] / average
                                        p[i] -= lr * b[i]
                                    } else {
                                        p[i] -= lr * g[i] / average
                                    }
                                }
                            }
                        }
                    }
                }
            }
            state[OptimizerState.key(name, Self.squareAverage)] = s
            if centered { state[OptimizerState.key(name, Self.gradientAverage)] = a }
            if useMomentum { state[OptimizerState.key(name, Self.momentumBuffer)] = b }
        }
    }

    public mutating func restoreState<Model: Layer>(_ state: [String: Tensor], for model: Model,
                                                    source: String) throws(OptimizerStateError) {
        self.state = try OptimizerState.validated(state, slots: slots, for: model, source: source)
    }
}
