import Basics

/// The networks `--arch` names. Each builds a HashingNetwork for a code length, an input
/// size and a class count, from a seed.
public enum Architecture: String, Sendable, CaseIterable, Codable {
    /// DSH's three-convolution CIFAR-10 network (Liu et al., CVPR 2016): the seeds' baseline.
    case dsh
    /// Network in Network with a sigmoid latent layer (DLBHC style): mlpconv blocks, global
    /// average pooling, codes = latent outputs >= 0.5, a classifier above the latent layer.
    case nin
    /// DFEH: a feature-enhancement layer before DSH's extractor.
    case dfeh
    /// DAH: DSH's extractor with a residual soft-mask attention on its second stage.
    case dah
    /// DATH: one backbone, two streams (position attention, channel attention) whose fc
    /// features are summed, a tanh hash layer and a classifier.
    case dath
    /// A small ResNet with CBAM after its last stage (the CNN+CBAM+LSH paper's design).
    case cbam
    /// DeepHash-pytorch's AlexNet, VGG-16 and ResNets with a hash layer (torchvision's
    /// networks; `TorchvisionArchitectures.swift`): imported with `import --arch`, not trained here.
    case deephashAlexNet = "deephash-alexnet"
    case deephashVGG16 = "deephash-vgg16"
    case deephashResNet18 = "deephash-resnet18"
    case deephashResNet34 = "deephash-resnet34"
    case deephashResNet50 = "deephash-resnet50"
    case deephashResNet101 = "deephash-resnet101"
    case deephashResNet152 = "deephash-resnet152"

    public struct Configuration: Sendable, Equatable {
        public var bits: Int
        public var inputSize: Int
        /// Classes for a classification head; nil for methods without one.
        public var classes: Int?
        public var seed: UInt64
        /// A pretrained backbone under the network: then the network is the architecture's head
        /// on the backbone's feature map (`hasBackboneHead`), reading the backbone's trunk output.
        public var backbone: BackboneName?
        /// How many of the backbone's last blocks a head trains (1: its last stage).
        public var fineTunedBlocks: Int
        /// Batch norm after the convolutions of a from-scratch network whose paper has none
        /// (`takesBatchNorm`; `departureFromPaper` says where): a recipe choice, not the paper's.
        public var batchNorm: Bool

        public init(bits: Int, inputSize: Int = 32, classes: Int? = nil, seed: UInt64 = 0, backbone: BackboneName? = nil,
                    fineTunedBlocks: Int = 1, batchNorm: Bool = false) {
            self.fineTunedBlocks = fineTunedBlocks
            self.batchNorm = batchNorm
            self.bits = bits
            self.inputSize = inputSize
            self.classes = classes
            self.seed = seed
            self.backbone = backbone
        }
    }

    /// Whether the from-scratch network can take `Configuration.batchNorm`: the papers' networks
    /// without batch norm of their own (cbam has it already; heads sit on a backbone's).
    public var takesBatchNorm: Bool {
        switch self {
        case .dsh, .nin, .dfeh, .dah, .dath: return true
        default: return false
        }
    }

    /// Whether the network built on `backbone` (nil: from scratch) can take batch norm: a head never.
    public func takesBatchNorm(on backbone: BackboneName?) -> Bool { takesBatchNorm && backbone == nil }

    /// Whether a model file with these tensor names holds the batch-norm variant: the file
    /// decides, as it decides the classifier head, so files from before the option still load.
    public func batchNorm(inFileWith names: some Sequence<String>, backbone: BackboneName?) -> Bool {
        takesBatchNorm(on: backbone) && names.contains { $0.hasSuffix(".running_mean") }
    }

    /// What a from-scratch network built with `batchNorm` changes in its paper's layers, said in
    /// every model file it trains (provenance notes); nil where the layer list is the paper's.
    public func departureFromPaper(batchNorm: Bool) -> String? {
        guard batchNorm && takesBatchNorm else { return nil }
        let placement: String
        switch self {
        case .nin: placement = "every mlpconv convolution"
        case .dsh: placement = "each of its three convolutions"
        case .dfeh: placement = "each of DSH's three convolutions (not in the enhancement layer)"
        case .dah: placement = "DSH's convolutions and the attention trunk's (not in the mask)"
        default: placement = "the backbone's two convolutions"
        }
        return "batch norm after \(placement), in place of their biases (the paper has none)"
    }

    /// The network, with random weights from the seed (a backbone head's last stage too: its
    /// pretrained weights are the caller's to set, `HashingNetwork.loadPretrainedStage`).
    public func build(_ configuration: Configuration) -> HashingNetwork {
        precondition(configuration.bits > 0, "bits must be positive")
        var generator = SeededGenerator(seed: configuration.seed)
        if configuration.backbone != nil {
            precondition(hasBackboneHead, "\(self) has no head for a pretrained backbone")
            return backboneHead(configuration, &generator)
        }
        switch self {
        case .dsh: return Self.dsh(configuration, &generator)
        case .nin: return Self.nin(configuration, &generator)
        case .dfeh: return Self.dfeh(configuration, &generator)
        case .dah: return Self.dah(configuration, &generator)
        case .dath: return Self.dath(configuration, &generator)
        case .cbam: return Self.cbam(configuration, &generator)
        case .deephashAlexNet: return Self.deephashAlexNet(configuration, &generator)
        case .deephashVGG16: return Self.deephashVGG16(configuration, &generator)
        case .deephashResNet18, .deephashResNet34, .deephashResNet50, .deephashResNet101, .deephashResNet152:
            return Self.deephashResNet(depth: torchvisionResNetDepth!, configuration, &generator)
        }
    }

    /// conv5x5(32) -> maxpool 3/2 -> ReLU -> conv5x5(32) -> ReLU -> avgpool 3/2 -> conv5x5(64)
    /// -> ReLU -> avgpool 3/2 -> fc 500 -> ReLU -> hash layer (linear, as DSH: real-valued
    /// outputs pulled to ±1 by the quantization term). The convolutions keep
    /// their size (padding 2); the pools use PyTorch's floor rounding (Caffe's original
    /// rounds up), so 32x32 input gives 15, 7 and 3 pixels wide maps.
    private static func dsh(_ c: Configuration, _ generator: inout SeededGenerator) -> HashingNetwork {
        let layers = dshLayers(c, secondStage: nil, &generator)
        return HashingNetwork(features: Sequential(layers), featureCount: 500, bits: c.bits, classes: c.classes,
                              activation: .linear, generator: &generator)
    }

    /// DSH's extractor as a layer list (flat, so the names are PyTorch's nn.Sequential ones);
    /// `secondStage` replaces its second convolution + ReLU.
    static func dshLayers(_ c: Configuration, secondStage: (any Layer)?, _ generator: inout SeededGenerator) -> [any Layer] {
        let side = DSHGeometry(inputSize: c.inputSize)
        let first: [any Layer] = convolution(3, 32, c, &generator) + [
            MaxPool2d(kernelSize: 3, stride: 2),
            ReLU(),
        ]
        let second: [any Layer] = secondStage.map { [$0] } ?? convolution(32, 32, c, &generator) + [ReLU()]
        return first + second + [AvgPool2d(kernelSize: 3, stride: 2)] + convolution(32, 64, c, &generator) + [
            ReLU(),
            AvgPool2d(kernelSize: 3, stride: 2),
            Flatten(),
            Linear(inFeatures: 64 * side.last * side.last, outFeatures: 500, generator: &generator),
            ReLU(),
        ]
    }
}

extension Architecture {
    /// The papers' 5x5 'same' convolution, with batch norm after it (and no bias) when the
    /// configuration asks: one layer or two.
    static func convolution(_ inChannels: Int, _ outChannels: Int, _ c: Configuration,
                            _ generator: inout SeededGenerator) -> [any Layer] {
        let conv = Conv2d(inChannels: inChannels, outChannels: outChannels, kernelSize: 5, padding: Padding(2),
                          bias: !c.batchNorm, generator: &generator)
        return c.batchNorm ? [conv, BatchNorm2d(numFeatures: outChannels)] : [conv]
    }
}

/// Map sizes through DSH's three 3/2 pools.
struct DSHGeometry {
    let afterFirst: Int, afterSecond: Int, last: Int

    init(inputSize: Int) {
        afterFirst = (inputSize - 3) / 2 + 1
        afterSecond = (afterFirst - 3) / 2 + 1
        last = (afterSecond - 3) / 2 + 1
        precondition(last >= 1, "this architecture needs inputs of at least 15 pixels, got \(inputSize)")
    }
}
