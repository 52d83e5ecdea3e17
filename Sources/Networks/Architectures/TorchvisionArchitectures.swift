import Basics

// The torchvision families with a hash layer, as DeepHash-pytorch's network.py builds them (and
// HashNet's VGG16 before it): networks trained elsewhere, brought in by `hashscope import --torch
// FILE --arch deephash-...`, which renames their state dicts into these names
// (`TorchvisionStateDict`). Every hash layer is linear (codes = sign of the outputs, as
// DeepHash-pytorch's `sign()`), with no classifier. Names under "features." keep torchvision's
// module names, so torchvision's own weights line up by prefix.
extension Architecture {
    /// The architectures brought in from DeepHash-pytorch (`import --arch`); they have no
    /// training recipe here.
    public var isTorchvisionFamily: Bool { torchvisionResNetDepth != nil || self == .deephashAlexNet || self == .deephashVGG16 }

    /// The ResNet depth of a deephash-resnetNN architecture.
    public var torchvisionResNetDepth: Int? {
        switch self {
        case .deephashResNet18: return 18
        case .deephashResNet34: return 34
        case .deephashResNet50: return 50
        case .deephashResNet101: return 101
        case .deephashResNet152: return 152
        default: return nil
        }
    }

    /// torchvision's AlexNet features (conv 11/4 64, pool, conv 5 192, pool, conv 3 384, 256,
    /// 256, pool), flattened (256 x 6 x 6 at 224), then DeepHash-pytorch's hash_layer:
    /// Dropout, fc 4096, ReLU, Dropout, fc 4096, ReLU (here "features.classifier.1/.4"), and the
    /// fc 4096 -> bits hash layer ("hash"). No adaptive pool: DeepHash views the map as 9216.
    static func deephashAlexNet(_ c: Configuration, _ generator: inout SeededGenerator) -> HashingNetwork {
        func conv(_ input: Int, _ output: Int, _ kernel: Int, stride: Int = 1, padding: Int) -> Conv2d {
            Conv2d(inChannels: input, outChannels: output, kernelSize: kernel, stride: stride, padding: Padding(padding),
                   generator: &generator)
        }
        let convolutions = Sequential([
            conv(3, 64, 11, stride: 4, padding: 2), ReLU(), MaxPool2d(kernelSize: 3, stride: 2),
            conv(64, 192, 5, padding: 2), ReLU(), MaxPool2d(kernelSize: 3, stride: 2),
            conv(192, 384, 3, padding: 1), ReLU(),
            conv(384, 256, 3, padding: 1), ReLU(),
            conv(256, 256, 3, padding: 1), ReLU(), MaxPool2d(kernelSize: 3, stride: 2),
        ])
        let pool = { (side: Int) in (side - 3) / 2 + 1 }
        let side = pool(pool(pool((c.inputSize + 4 - 11) / 4 + 1)))
        precondition(side >= 1, "AlexNet needs inputs of at least 63 pixels, got \(c.inputSize)")
        let classifier = Sequential([
            Dropout(probability: 0.5, seed: generator.next()),
            Linear(inFeatures: 256 * side * side, outFeatures: 4096, generator: &generator), ReLU(),
            Dropout(probability: 0.5, seed: generator.next()),
            Linear(inFeatures: 4096, outFeatures: 4096, generator: &generator), ReLU(),
        ])
        let features = Sequential(named: [("features", convolutions), ("flatten", Flatten()), ("classifier", classifier)])
        return HashingNetwork(features: features, featureCount: 4096, bits: c.bits, classes: nil, activation: .linear,
                              generator: &generator)
    }

    /// torchvision's VGG-16 features (configuration D: 13 conv3x3 + ReLU, 5 max pools),
    /// flattened (512 x 7 x 7 at 224), the first six modules of its classifier (fc 4096, ReLU,
    /// Dropout, fc 4096, ReLU, Dropout: "features.classifier.0/.3") and an fc 4096 -> bits
    /// hash layer (HashNet's VGGFc without its tanh: the sign is the same).
    static func deephashVGG16(_ c: Configuration, _ generator: inout SeededGenerator) -> HashingNetwork {
        let plan: [Int?] = [64, 64, nil, 128, 128, nil, 256, 256, 256, nil, 512, 512, 512, nil, 512, 512, 512, nil]
        var layers: [any Layer] = [], channels = 3, side = c.inputSize
        for width in plan {
            if let width {
                layers += [Conv2d(inChannels: channels, outChannels: width, kernelSize: 3, padding: Padding(1), generator: &generator),
                           ReLU()]
                channels = width
            } else {
                layers.append(MaxPool2d(kernelSize: 2, stride: 2))
                side /= 2
            }
        }
        precondition(side >= 1, "VGG-16 needs inputs of at least 32 pixels, got \(c.inputSize)")
        let classifier = Sequential([
            Linear(inFeatures: 512 * side * side, outFeatures: 4096, generator: &generator), ReLU(),
            Dropout(probability: 0.5, seed: generator.next()),
            Linear(inFeatures: 4096, outFeatures: 4096, generator: &generator), ReLU(),
            Dropout(probability: 0.5, seed: generator.next()),
        ])
        let features = Sequential(named: [("features", Sequential(layers)), ("flatten", Flatten()), ("classifier", classifier)])
        return HashingNetwork(features: features, featureCount: 4096, bits: c.bits, classes: nil, activation: .linear,
                              generator: &generator)
    }

    /// torchvision's ResNet-`depth`: conv1 7x7/2 (64, no bias), bn1, ReLU, max pool 3/2 pad 1,
    /// layer1...layer4 (64, 128, 256, 512 planes; strides 1, 2, 2, 2; basic blocks for 18/34,
    /// bottlenecks for 50/101/152), global average pool; then DeepHash-pytorch's
    /// fc -> bits hash layer (512 or 2048 features).
    static func deephashResNet(depth: Int, _ c: Configuration, _ generator: inout SeededGenerator) -> HashingNetwork {
        let (kind, counts) = Self.resNetPlan(depth: depth)
        var layers: [(String, any Layer)] = [
            ("conv1", Conv2d(inChannels: 3, outChannels: 64, kernelSize: 7, stride: 2, padding: Padding(3), bias: false,
                             generator: &generator)),
            ("bn1", BatchNorm2d(numFeatures: 64)),
            ("relu", ReLU()),
            ("maxpool", MaxPool2d(kernelSize: 3, stride: 2, padding: Padding(1))),
        ]
        var channels = 64
        for (stage, count) in counts.enumerated() {
            let planes = 64 << stage
            var blocks: [any Layer] = []
            for index in 0..<count {
                blocks.append(ResNetBlock(kind, inChannels: channels, planes: planes, stride: index == 0 && stage > 0 ? 2 : 1,
                                          generator: &generator))
                channels = planes * kind.expansion
            }
            layers.append(("layer\(stage + 1)", Sequential(blocks)))
        }
        layers.append(("avgpool", GlobalAvgPool2d()))
        return HashingNetwork(features: Sequential(named: layers), featureCount: channels, bits: c.bits, classes: nil,
                              activation: .linear, generator: &generator)
    }

    /// Block kind and blocks per stage of torchvision's ResNets.
    public static func resNetPlan(depth: Int) -> (ResNetBlock.Kind, [Int]) {
        switch depth {
        case 18: return (.basic, [2, 2, 2, 2])
        case 34: return (.basic, [3, 4, 6, 3])
        case 50: return (.bottleneck, [3, 4, 6, 3])
        case 101: return (.bottleneck, [3, 4, 23, 3])
        case 152: return (.bottleneck, [3, 8, 36, 3])
        default: preconditionFailure("torchvision has no ResNet-\(depth)")
        }
    }
}
