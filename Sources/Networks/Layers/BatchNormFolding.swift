extension Conv2d {
    /// This convolution followed by `batchNorm` in evaluation mode, as one convolution (for
    /// inference): per output channel k, with s = gamma / sqrt(running_var + eps),
    ///   weight'[k] = weight[k] * s,   bias'[k] = (bias[k] - running_mean[k]) * s + beta[k].
    public func folding(_ batchNorm: BatchNorm2d) -> Conv2d {
        let bn = batchNorm.core
        precondition(bn.numFeatures == outChannels, "BatchNorm(\(bn.numFeatures)) after a conv with \(outChannels) outputs")
        let perChannel = weight.count / outChannels
        var newWeight = weight
        var newBias = Tensor.zeros([outChannels])
        for k in 0..<outChannels {
            let scale = bn.weight[flat: k] / (bn.runningVar[flat: k] + bn.eps).squareRoot()
            for i in (k * perChannel)..<((k + 1) * perChannel) { newWeight[flat: i] *= scale }
            newBias[flat: k] = ((bias?[flat: k] ?? 0) - bn.runningMean[flat: k]) * scale + bn.bias[flat: k]
        }
        return Conv2d(weight: newWeight, bias: newBias, strideHeight: strideHeight, strideWidth: strideWidth,
                      padding: padding, groups: groups)
    }
}

/// Layers that can hand out an inference copy of themselves with every convolution that a
/// BatchNorm2d follows folded into one convolution (`Conv2d.folding`): the same evaluation-mode
/// outputs up to float rounding, one pass over each feature map fewer and no BN buffers. The
/// copy has other parameter names (the folded BNs are gone), so fingerprints and files stay
/// the unfolded network's; it is for encoding, never for training.
public protocol BatchNormFoldable: Layer {
    func foldingBatchNorms() -> Self
}

extension Sequential: BatchNormFoldable {
    /// Conv2d then BatchNorm2d -> the folded Conv2d under the conv's name; nested foldable
    /// layers folded in turn; everything else as it is.
    public func foldingBatchNorms() -> Sequential {
        var folded: [(String, any Layer)] = []
        var i = 0
        while i < layers.count {
            let (name, layer) = layers[i]
            if let conv = layer.base as? Conv2d, i + 1 < layers.count, let bn = layers[i + 1].layer.base as? BatchNorm2d,
               bn.core.numFeatures == conv.outChannels {
                folded.append((name, conv.folding(bn)))
                i += 2
                continue
            }
            folded.append((name, (layer.base as? any BatchNormFoldable)?.foldingBatchNorms() ?? layer.base))
            i += 1
        }
        return Sequential(named: folded)
    }
}

extension Residual: BatchNormFoldable where Body: BatchNormFoldable {
    public func foldingBatchNorms() -> Residual { Residual(body.foldingBatchNorms()) }
}

extension Branches: BatchNormFoldable where First: BatchNormFoldable, Second: BatchNormFoldable {
    public func foldingBatchNorms() -> Branches {
        Branches(first.foldingBatchNorms(), second.foldingBatchNorms(), merge: merge, names: (firstName, secondName))
    }
}

extension ResNetBlock: BatchNormFoldable {
    public func foldingBatchNorms() -> ResNetBlock {
        var copy = self
        copy.body = body.foldingBatchNorms()
        copy.downsample = downsample?.foldingBatchNorms()
        return copy
    }
}

extension MLPConv: BatchNormFoldable {
    public func foldingBatchNorms() -> MLPConv {
        MLPConv(conv1: norm1.map(conv1.folding) ?? conv1, conv2: norm2.map(conv2.folding) ?? conv2,
                conv3: norm3.map(conv3.folding) ?? conv3)
    }
}

extension ResidualSoftMaskAttention: BatchNormFoldable where Trunk: BatchNormFoldable {
    public func foldingBatchNorms() -> ResidualSoftMaskAttention {
        var copy = self
        copy.trunk = trunk.foldingBatchNorms()
        return copy
    }
}

extension HashingNetwork {
    /// This network for encoding, its batch norms folded (`BatchNormFoldable`).
    public func foldingBatchNorms() -> HashingNetwork {
        var copy = self
        copy.features = features.foldingBatchNorms()
        return copy
    }
}
