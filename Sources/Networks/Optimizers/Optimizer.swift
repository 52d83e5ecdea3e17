/// Updates a model's parameters from their accumulated gradients, PyTorch's way.
///
/// Optimizers walk `Layer.visitParameters` and keep their per-parameter state (momentum
/// buffers, moment estimates) in a dictionary keyed "<parameter>.<slot>" ("fc.weight.exp_avg"),
/// PyTorch's slot names, so the state can go into a safetensors checkpoint beside the weights
/// and come back for `train --resume`. State is created on a parameter's first step.
public protocol Optimizer: Sendable {
    /// The learning rate of the next step; a `LearningRateSchedule` sets it.
    var learningRate: Double { get set }

    /// "sgd", "adam", "adamw" or "rmsprop": recorded in checkpoints beside the state.
    var kind: String { get }

    /// The state slots every parameter has after its first step.
    var slots: [OptimizerSlot] { get }

    /// The per-parameter state, "<parameter>.<slot>" -> tensor (empty before the first step).
    var state: [String: Tensor] { get }

    /// One update of every parameter of `model` from its gradient. Gradients are read, not
    /// cleared: call `zeroGrad()` before the next backward pass.
    mutating func step<Model: Layer>(_ model: inout Model)

    /// Replaces the state with `state` (from `self.state` of an optimizer of the same kind and
    /// settings, for the same model) after checking it fits `model`; see `OptimizerState`.
    mutating func restoreState<Model: Layer>(_ state: [String: Tensor], for model: Model,
                                             source: String) throws(OptimizerStateError)
}

/// A per-parameter state tensor: the parameter's shape, or a scalar (shape []) such as Adam's
/// step count.
public struct OptimizerSlot: Sendable, Equatable {
    public let name: String
    public let isScalar: Bool

    public init(_ name: String, isScalar: Bool = false) {
        self.name = name
        self.isScalar = isScalar
    }
}

extension Optimizer {
    /// Restores state taken from an optimizer in this process (or a file naming none).
    public mutating func restoreState<Model: Layer>(_ state: [String: Tensor], for model: Model) throws(OptimizerStateError) {
        try restoreState(state, for: model, source: "optimizer state")
    }
}

/// Elementwise kernels shared by the optimizers. Each works in Float32 on contiguous buffers
/// of equal length; scalars arrive as Double and are rounded once, as PyTorch passes Python
/// floats into its float kernels.
enum OptimizerKernels {
    /// g += decay * p: L2 weight decay folded into the gradient (SGD, Adam, RMSProp).
    static func addWeightDecay(_ gradient: inout Tensor, parameter: Tensor, decay: Double) {
        guard decay != 0 else { return }
        gradient.addScaled(parameter, by: Float(decay))
    }

    /// A slot from the state, or `make()` the first time; removed so the caller owns the only
    /// reference and updates it in place (no copy-on-write copy), then stores it back.
    static func take(_ key: String, from state: inout [String: Tensor], orMake make: () -> Tensor) -> Tensor {
        state.removeValue(forKey: key) ?? make()
    }
}
