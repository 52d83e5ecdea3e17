import Basics

// Hash heads on a pretrained backbone's feature map. A head network starts with the backbone's
// last stage, or its last `fineTunedBlocks` blocks ("features.stage.*", trainable: fine-tuned
// with the head), reads the frozen trunk's
// output (N, trunk channels, H/32, W/32) during training from a feature cache, and is given the trunk
// (`HashingNetwork.backbone`) to encode images. Every head has a spatial attention module whose
// (H/32 x W/32) map is the one shown.
extension Architecture {
    /// Architectures with a head for a pretrained backbone (`--backbone`).
    public var hasBackboneHead: Bool { self == .cbam || self == .dath || self == .dah }

    func backboneHead(_ c: Configuration, _ generator: inout SeededGenerator) -> HashingNetwork {
        guard let backbone = c.backbone else { preconditionFailure("a head needs a backbone") }
        let stage = backbone.untrainedLastStage(fineTuning: c.fineTunedBlocks, inputSize: c.inputSize, &generator)
        let channels = backbone.featureChannels
        switch self {
        case .cbam:
            // The CNN+CBAM+LSH paper: CBAM on the last feature map, pooled, fc + tanh; its
            // classifier reads the codes, as the from-scratch cbam's does.
            let features = Sequential(named: [
                ("stage", stage),
                ("cbam", CBAM(channels: channels, generator: &generator)),
                ("pool", GlobalAvgPool2d()),
            ])
            return HashingNetwork(features: features, featureCount: channels, bits: c.bits, classes: c.classes ?? 10,
                                  activation: .tanh, classifierOnCodes: true, generator: &generator)
        case .dath:
            // DANet reduces the backbone's channels before its two attention modules; so does this
            // head (1280 -> 256), then DATH's two streams, summed, a tanh hash layer and a
            // classifier on the summed features.
            let width = 256, fc = 512
            let positionStream = Sequential(named: [
                ("pam", PositionAttentionModule(channels: width, generator: &generator)),
                ("pool", GlobalAvgPool2d()),
                ("fc", Linear(inFeatures: width, outFeatures: fc, generator: &generator)),
            ])
            let channelStream = Sequential(named: [
                ("cam", ChannelAttentionModule()),
                ("pool", GlobalAvgPool2d()),
                ("fc", Linear(inFeatures: width, outFeatures: fc, generator: &generator)),
            ])
            let features = Sequential(named: [
                ("stage", stage),
                ("reduce", Conv2d(inChannels: channels, outChannels: width, kernelSize: 1, generator: &generator)),
                ("reduce_act", ReLU()),
                ("streams", Branches(positionStream, channelStream, merge: .sum, names: ("position", "channel"))),
                ("relu", ReLU()),
            ])
            return HashingNetwork(features: features, featureCount: fc, bits: c.bits, classes: c.classes ?? 10,
                                  activation: .tanh, generator: &generator)
        case .dah:
            // DAH: a residual soft mask (1 + M(x)) * T(x) over the reduced map, T a conv3x3
            // stage; pooled, fc 512 + ReLU, and DSH's linear hash layer under the pairwise loss.
            let width = 256, fc = 512
            let trunk = Sequential([
                Conv2d(inChannels: width, outChannels: width, kernelSize: 3, padding: Padding(1), generator: &generator),
                ReLU(),
            ])
            let features = Sequential(named: [
                ("stage", stage),
                ("reduce", Conv2d(inChannels: channels, outChannels: width, kernelSize: 1, generator: &generator)),
                ("reduce_act", ReLU()),
                ("attention", ResidualSoftMaskAttention(trunk: trunk, inChannels: width, outChannels: width, generator: &generator)),
                ("pool", GlobalAvgPool2d()),
                ("fc", Linear(inFeatures: width, outFeatures: fc, generator: &generator)),
                ("fc_act", ReLU()),
            ])
            return HashingNetwork(features: features, featureCount: fc, bits: c.bits, classes: c.classes,
                                  activation: .linear, generator: &generator)
        case .dsh, .nin, .dfeh, .deephashAlexNet, .deephashVGG16, .deephashResNet18, .deephashResNet34, .deephashResNet50,
             .deephashResNet101, .deephashResNet152:
            preconditionFailure("\(self) has no head for a pretrained backbone")
        }
    }
}
