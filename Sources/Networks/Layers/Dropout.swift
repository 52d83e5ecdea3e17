import Basics
/// Dropout, PyTorch's nn.Dropout: in training each element is zeroed with probability p and the
/// survivors scaled by 1/(1-p) (inverted dropout, so evaluation is the identity). The mask comes
/// from the layer's own seeded generator, which advances with every training forward: a run is
/// reproducible from its seed, and a copy of the layer replays the same masks.
public struct Dropout: Layer {
    public let probability: Float
    public var generator: SeededGenerator

    /// The mask that was applied: 0 or 1/(1-p) per element; nil when nothing was dropped
    /// (evaluation, or p = 0).
    public typealias Cache = Tensor?

    public init(probability: Float = 0.5, seed: UInt64) {
        precondition(probability >= 0 && probability < 1, "dropout probability must be in [0, 1), got \(probability)")
        self.probability = probability
        generator = SeededGenerator(seed: seed)
    }

    /// x: (any shape) -> (same shape)
    public mutating func forward(_ input: Tensor, training: Bool) -> (output: Tensor, cache: Tensor?) {
        guard training, probability > 0 else { return (input, nil) }
        let keep = 1 - probability, scale = 1 / keep
        let mask = Tensor(shape: input.shape) { m in
            for i in 0..<m.count { m[i] = generator.nextFloat() < keep ? scale : 0 }
        }
        return (input * mask, mask)
    }

    public func backward(_ gradOutput: Tensor, cache mask: Tensor?) -> Tensor {
        guard let mask else { return gradOutput }
        return gradOutput * mask
    }
}
