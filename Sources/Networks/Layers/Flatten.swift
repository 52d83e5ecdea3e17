/// Flattens every dimension after the batch: (N, d1, d2, ...) -> (N, d1*d2*...), as
/// PyTorch's nn.Flatten() (start_dim=1). The scalars are not moved.
public struct Flatten: Layer {
    public init() {}

    /// The cache is the input shape.
    public func forward(_ input: Tensor, training: Bool) -> (output: Tensor, cache: [Int]) {
        precondition(input.rank >= 1, "Flatten needs a batch dimension")
        return (input.reshaped([input.shape[0], input.count / max(1, input.shape[0])]), input.shape)
    }

    public func backward(_ gradOutput: Tensor, cache inputShape: [Int]) -> Tensor {
        gradOutput.reshaped(inputShape)
    }
}
