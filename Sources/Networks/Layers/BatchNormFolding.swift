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
