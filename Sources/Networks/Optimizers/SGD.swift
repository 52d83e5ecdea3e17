/// Stochastic gradient descent with momentum, PyTorch's `torch.optim.SGD`:
///
///     g = grad + weight_decay * p
///     buf = g                                   (first step)
///     buf = momentum * buf + (1 - dampening) * g  (later steps)
///     g = g + momentum * buf   (nesterov)   or   g = buf
///     p = p - lr * g
///
/// The learning rate is applied outside the buffer (unlike Sutskever's formulation), so a
/// schedule that changes lr changes the step size at once, as in PyTorch.
public struct SGD: Optimizer {
    public var learningRate: Double
    public let momentum: Double
    public let dampening: Double
    public let weightDecay: Double
    public let nesterov: Bool
    public private(set) var state: [String: Tensor] = [:]

    public init(learningRate: Double, momentum: Double = 0, dampening: Double = 0,
                weightDecay: Double = 0, nesterov: Bool = false) {
        precondition(learningRate >= 0, "learning rate must be >= 0, got \(learningRate)")
        precondition(momentum >= 0, "momentum must be >= 0, got \(momentum)")
        precondition(weightDecay >= 0, "weight decay must be >= 0, got \(weightDecay)")
        precondition(!nesterov || (momentum > 0 && dampening == 0), "Nesterov momentum needs momentum > 0 and zero dampening")
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
    }

    public var kind: String { "sgd" }

    public var slots: [OptimizerSlot] { momentum != 0 ? [OptimizerSlot("momentum_buffer")] : [] }

    public mutating func step<Model: Layer>(_ model: inout Model) {
        let lr = Float(learningRate), momentum = Float(self.momentum), keep = Float(1 - dampening)
        let weightDecay = self.weightDecay, nesterov = self.nesterov, slot = slots.first
        model.visitParameters { name, value, gradient in
            var g = gradient
            OptimizerKernels.addWeightDecay(&g, parameter: value, decay: weightDecay)
            if let slot {
                let key = OptimizerState.key(name, slot)
                if var buffer = state.removeValue(forKey: key) {
                    // buf = momentum * buf + (1 - dampening) * g
                    buffer.withUnsafeMutableBufferPointer { b in
                        g.withUnsafeBufferPointer { d in
                            for i in 0..<b.count { b[i] = momentum * b[i] + keep * d[i] }
                        }
                    }
                    state[key] = buffer
                } else {
                    state[key] = g  // PyTorch: the first buffer is the gradient itself, undamped
                }
                if let buffer = state[key] {
                    if nesterov { g.addScaled(buffer, by: momentum) } else { g = buffer }
                }
            }
            value.addScaled(g, by: -lr)
        }
    }

    public mutating func restoreState<Model: Layer>(_ state: [String: Tensor], for model: Model,
                                                    source: String) throws(OptimizerStateError) {
        self.state = try OptimizerState.validated(state, slots: slots, for: model, source: source)
    }
}
