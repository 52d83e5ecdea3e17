/// A pretrained network that hash heads sit on: a frozen trunk, whose output feature caches
/// store, and a last stage that the head fine-tunes (`lastStage()(trunk(x))` is the feature
/// map the heads read, `BackboneName.featureChannels` wide).
public protocol PretrainedBackbone: Sendable {
    var name: BackboneName { get }
    /// x: (N,3,H,W), normalised as `name.normalization` -> the trunk's output
    /// (N, name.trunkChannels, ceil(H/32), ceil(W/32)).
    func trunk(_ input: Tensor) -> Tensor
    /// The last stage as trainable layers with the pretrained weights (batch norms folded),
    /// with the names and shapes of `name.untrainedLastStage`.
    func lastStage() -> Sequential
}
