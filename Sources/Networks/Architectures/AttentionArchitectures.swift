import Basics

// The papers' architectures beyond DSH, sized for 32x32 inputs trained from scratch on two
// cores. Each follows its paper's structure (where the attention sits, what is summed, which
// activation makes the code); widths are small. With `Configuration.batchNorm` the papers'
// convolutions are followed by batch norm (`departureFromPaper` says which).
extension Architecture {
    /// mlpconv(64, 5x5) -> maxpool 3/2 -> mlpconv(128, 5x5) -> maxpool 3/2 -> mlpconv(128, 3x3)
    /// -> global average pool (128) -> sigmoid latent layer (bits) -> classifier on the codes.
    static func nin(_ c: Configuration, _ generator: inout SeededGenerator) -> HashingNetwork {
        let features = Sequential([
            MLPConv(inChannels: 3, channels: (64, 64, 64), kernelSize: 5, batchNorm: c.batchNorm, generator: &generator),
            MaxPool2d(kernelSize: 3, stride: 2),
            MLPConv(inChannels: 64, channels: (128, 128, 128), kernelSize: 5, batchNorm: c.batchNorm, generator: &generator),
            MaxPool2d(kernelSize: 3, stride: 2),
            MLPConv(inChannels: 128, channels: (128, 128, 128), kernelSize: 3, batchNorm: c.batchNorm, generator: &generator),
            GlobalAvgPool2d(),
        ])
        return HashingNetwork(features: features, featureCount: 128, bits: c.bits, classes: c.classes ?? 10,
                              activation: .sigmoid, classifierOnCodes: true, generator: &generator)
    }

    /// The feature-enhancement layer on the image (y = x + conv(relu(conv(x)))), then DSH
    /// (linear hash layer, as DSH and DFEH's contrastive + quantization loss expect).
    static func dfeh(_ c: Configuration, _ generator: inout SeededGenerator) -> HashingNetwork {
        let enhancement = FeatureEnhancement(channels: 3, generator: &generator)
        let layers: [any Layer] = [enhancement] + dshLayers(c, secondStage: nil, &generator)
        return HashingNetwork(features: Sequential(layers), featureCount: 500, bits: c.bits, classes: c.classes,
                              activation: .linear, generator: &generator)
    }

    /// DSH whose second stage is (1 + M(x)) * T(x): trunk conv5x5(32) + ReLU, soft mask; a
    /// linear hash layer under the pairwise loss, as DSH.
    static func dah(_ c: Configuration, _ generator: inout SeededGenerator) -> HashingNetwork {
        let trunk = Sequential(convolution(32, 32, c, &generator) + [ReLU()])
        let attention = ResidualSoftMaskAttention(trunk: trunk, inChannels: 32, outChannels: 32, generator: &generator)
        return HashingNetwork(features: Sequential(dshLayers(c, secondStage: attention, &generator)), featureCount: 500,
                              bits: c.bits, classes: c.classes, activation: .linear, generator: &generator)
    }

    /// Backbone conv5x5(32) -> maxpool 3/2 -> ReLU -> conv5x5(64) -> ReLU -> avgpool 3/2, then
    /// two streams over its map: PAM -> GAP -> fc 256 and CAM -> GAP -> fc 256, summed, ReLU;
    /// a tanh hash layer and a classifier on the summed features (DATH's classification term).
    static func dath(_ c: Configuration, _ generator: inout SeededGenerator) -> HashingNetwork {
        let positionStream = Sequential(named: [
            ("pam", PositionAttentionModule(channels: 64, generator: &generator)),
            ("pool", GlobalAvgPool2d()),
            ("fc", Linear(inFeatures: 64, outFeatures: 256, generator: &generator)),
        ])
        let channelStream = Sequential(named: [
            ("cam", ChannelAttentionModule()),
            ("pool", GlobalAvgPool2d()),
            ("fc", Linear(inFeatures: 64, outFeatures: 256, generator: &generator)),
        ])
        let features = Sequential(named: [
            ("backbone", Sequential(convolution(3, 32, c, &generator) + [MaxPool2d(kernelSize: 3, stride: 2), ReLU()]
                                    + convolution(32, 64, c, &generator) + [ReLU(), AvgPool2d(kernelSize: 3, stride: 2)])),
            ("streams", Branches(positionStream, channelStream, merge: .sum, names: ("position", "channel"))),
            ("relu", ReLU()),
        ])
        return HashingNetwork(features: features, featureCount: 256, bits: c.bits, classes: c.classes ?? 10,
                              activation: .tanh, generator: &generator)
    }

    /// stem conv3x3(32)-BN-ReLU, residual blocks 32 -> 64 (stride 2) -> 128 (stride 2), CBAM on
    /// the last stage's map, global average pool (128 features), a tanh hash layer and a
    /// classifier on the codes: the CNN+CBAM+LSH paper trains its network as a classifier, and
    /// a classifier reading the codes makes the codes themselves carry the classes.
    static func cbam(_ c: Configuration, _ generator: inout SeededGenerator) -> HashingNetwork {
        let features = Sequential(named: [
            ("stem", Sequential([
                Conv2d(inChannels: 3, outChannels: 32, kernelSize: 3, padding: Padding(1), bias: false, generator: &generator),
                BatchNorm2d(numFeatures: 32),
                ReLU(),
            ])),
            ("layer1", residualBlock(32, 32, stride: 1, &generator)),
            ("layer2", residualBlock(32, 64, stride: 2, &generator)),
            ("layer3", residualBlock(64, 128, stride: 2, &generator)),
            ("cbam", CBAM(channels: 128, generator: &generator)),
            ("pool", GlobalAvgPool2d()),
        ])
        return HashingNetwork(features: features, featureCount: 128, bits: c.bits, classes: c.classes ?? 10,
                              activation: .tanh, classifierOnCodes: true, generator: &generator)
    }

    /// ResNet's basic block: conv3x3-BN-ReLU-conv3x3-BN plus the shortcut (identity, or
    /// conv1x1-BN when the shape changes), then ReLU.
    private static func residualBlock(_ input: Int, _ output: Int, stride: Int, _ generator: inout SeededGenerator) -> Sequential {
        let body = Sequential([
            Conv2d(inChannels: input, outChannels: output, kernelSize: 3, stride: stride, padding: Padding(1), bias: false,
                   generator: &generator),
            BatchNorm2d(numFeatures: output),
            ReLU(),
            Conv2d(inChannels: output, outChannels: output, kernelSize: 3, padding: Padding(1), bias: false, generator: &generator),
            BatchNorm2d(numFeatures: output),
        ])
        let shortcut = stride == 1 && input == output ? Sequential([]) : Sequential([
            Conv2d(inChannels: input, outChannels: output, kernelSize: 1, stride: stride, bias: false, generator: &generator),
            BatchNorm2d(numFeatures: output),
        ])
        return Sequential(named: [("block", Branches(body, shortcut, merge: .sum, names: ("body", "shortcut"))), ("relu", ReLU())])
    }
}
