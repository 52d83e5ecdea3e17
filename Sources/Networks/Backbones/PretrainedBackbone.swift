/// A pretrained network that hash heads sit on: a frozen trunk, whose output feature caches
/// store, and a last stage that the head fine-tunes (`lastStage()(trunk(x))` is the feature
/// map the heads read, `BackboneName.featureChannels` wide). Where the trunk ends is
/// `fineTunedBlocks`: a head may fine-tune more of the network than its last stage.
public protocol PretrainedBackbone: Sendable {
    var name: BackboneName { get }
    /// How many of the network's last blocks `lastStage` holds (1: its last stage).
    var fineTunedBlocks: Int { get }
    /// The same network cut before its last `n` blocks, 1...`name.maxFineTunedBlocks`.
    func fineTuning(_ n: Int) -> any PretrainedBackbone
    /// x: (N,3,H,W), normalised as `name.normalization` -> the trunk's output
    /// (N, name.trunkChannels(fineTuning:), H / name.trunkReduction(fineTuning:), ...), rounded up.
    func trunk(_ input: Tensor) -> Tensor
    /// The fine-tuned blocks as trainable layers with the pretrained weights (batch norms
    /// folded), with the names and shapes of `name.untrainedLastStage`.
    func lastStage() -> Sequential
}
