/// Batch normalisation as PyTorch's nn.BatchNorm2d / nn.BatchNorm1d.
///
/// Training: normalise with the batch's mean and biased variance, and move the running
/// statistics: running = (1 - momentum) * running + momentum * batch, with the UNBIASED batch
/// variance (M/(M-1)) for running_var, as PyTorch does. Evaluation: normalise with the running
/// statistics. Parameters "weight" (gamma) and "bias" (beta); buffers "running_mean",
/// "running_var". Both layers share this core; they differ only in the input shapes they take.
public struct BatchNormCore: Sendable {
    public let numFeatures: Int
    public var eps: Float
    public var momentum: Float
    public var weight: Tensor, bias: Tensor
    public var runningMean: Tensor, runningVar: Tensor
    public var weightGrad: Tensor, biasGrad: Tensor

    public struct Cache {
        /// The normalised input, (N,C,S) flattened as the input.
        let normalised: Tensor
        /// 1/sqrt(var + eps) per channel, of the batch (training) or the running variance.
        let invStd: Tensor
        let training: Bool
        let inputShape: [Int]
    }

    public init(numFeatures: Int, eps: Float = 1e-5, momentum: Float = 0.1) {
        precondition(numFeatures > 0, "BatchNorm needs at least one feature")
        self.numFeatures = numFeatures
        self.eps = eps
        self.momentum = momentum
        weight = Tensor(shape: [numFeatures], repeating: 1)
        bias = .zeros([numFeatures])
        runningMean = .zeros([numFeatures])
        runningVar = Tensor(shape: [numFeatures], repeating: 1)
        weightGrad = .zeros([numFeatures])
        biasGrad = .zeros([numFeatures])
    }

    /// x: (N,C,S) -> (N,C,S)
    mutating func forward(_ input: Tensor, shape s: BatchNormKernels.Shape, training: Bool) -> (output: Tensor, cache: Cache) {
        precondition(s.channels == numFeatures, "BatchNorm(\(numFeatures)) got input \(input.shape)")
        var output = Tensor.zeros(like: input), normalised = Tensor.zeros(like: input)
        // Rows: batch mean, batch variance (biased), invStd.
        var statistics = Tensor.zeros([3, numFeatures])
        let c = numFeatures
        let eps = self.eps
        Tensor.withShared([input, weight, bias, runningMean, runningVar]) { p in
            output.withSharedMutable { y in
                normalised.withSharedMutable { xhat in
                    statistics.withSharedMutable { stats in
                        let mean = SharedMutablePointer(UnsafeMutableBufferPointer(start: stats.base, count: c))
                        let variance = SharedMutablePointer(UnsafeMutableBufferPointer(start: stats.base + c, count: c))
                        let invStd = SharedMutablePointer(UnsafeMutableBufferPointer(start: stats.base + 2 * c, count: c))
                        if training {
                            precondition(s.perChannel > 1, "BatchNorm training needs more than one value per channel, got input \(input.shape)")
                            BatchNormKernels.trainingForward(x: p[0], gamma: p[1], beta: p[2], eps: eps, y: y, xhat: xhat,
                                                             mean: mean, variance: variance, invStd: invStd, shape: s)
                        } else {
                            BatchNormKernels.inferenceForward(x: p[0], gamma: p[1], beta: p[2], eps: eps,
                                                              runningMean: p[3], runningVariance: p[4],
                                                              y: y, xhat: xhat, invStd: invStd, shape: s)
                        }
                    }
                }
            }
        }
        if training {
            let unbiased = Float(s.perChannel) / Float(s.perChannel - 1)
            for ch in 0..<c {
                runningMean[flat: ch] = (1 - momentum) * runningMean[flat: ch] + momentum * statistics[flat: ch]
                runningVar[flat: ch] = (1 - momentum) * runningVar[flat: ch] + momentum * statistics[flat: c + ch] * unbiased
            }
        }
        let invStd = Tensor(shape: [c], scalars: Array(statistics.scalars[(2 * c)...]))
        return (output, Cache(normalised: normalised, invStd: invStd, training: training, inputShape: input.shape))
    }

    /// dy: (N,C,S) -> dx: (N,C,S); d(weight), d(bias) accumulate.
    mutating func backward(_ gradOutput: Tensor, shape s: BatchNormKernels.Shape, cache: Cache) -> Tensor {
        precondition(gradOutput.shape == cache.inputShape, "BatchNorm gradient \(gradOutput.shape) for input \(cache.inputShape)")
        var gradInput = Tensor.zeros(like: gradOutput)
        Tensor.withShared([gradOutput, cache.normalised, weight, cache.invStd]) { p in
            gradInput.withSharedMutable { dx in
                weightGrad.withSharedMutable { dGamma in
                    biasGrad.withSharedMutable { dBeta in
                        BatchNormKernels.backward(dy: p[0], xhat: p[1], gamma: p[2], invStd: p[3], training: cache.training,
                                                  dx: dx, dGamma: dGamma, dBeta: dBeta, shape: s)
                    }
                }
            }
        }
        return gradInput
    }

    mutating func visitParameters(_ visit: (_ name: String, _ value: inout Tensor, _ gradient: inout Tensor) -> Void) {
        visit("weight", &weight, &weightGrad)
        visit("bias", &bias, &biasGrad)
    }

    mutating func visitBuffers(_ visit: (_ name: String, _ value: inout Tensor) -> Void) {
        visit("running_mean", &runningMean)
        visit("running_var", &runningVar)
    }
}

/// BatchNorm over (N,C,H,W): statistics per channel over N*H*W.
public struct BatchNorm2d: Layer {
    public var core: BatchNormCore
    public typealias Cache = BatchNormCore.Cache

    public init(numFeatures: Int, eps: Float = 1e-5, momentum: Float = 0.1) {
        core = BatchNormCore(numFeatures: numFeatures, eps: eps, momentum: momentum)
    }

    private static func shape(_ x: Tensor) -> BatchNormKernels.Shape {
        let (n, c, h, w) = x.nchw
        return .init(batch: n, channels: c, spatial: h * w)
    }

    /// x: (N,C,H,W) -> (N,C,H,W)
    public mutating func forward(_ input: Tensor, training: Bool) -> (output: Tensor, cache: Cache) {
        core.forward(input, shape: Self.shape(input), training: training)
    }

    public mutating func backward(_ gradOutput: Tensor, cache: Cache) -> Tensor {
        core.backward(gradOutput, shape: Self.shape(gradOutput), cache: cache)
    }

    public mutating func visitParameters(_ visit: (_ name: String, _ value: inout Tensor, _ gradient: inout Tensor) -> Void) {
        core.visitParameters(visit)
    }

    public mutating func visitBuffers(_ visit: (_ name: String, _ value: inout Tensor) -> Void) {
        core.visitBuffers(visit)
    }
}

/// BatchNorm over (N,C) or (N,C,L): statistics per feature over N (or N*L).
public struct BatchNorm1d: Layer {
    public var core: BatchNormCore
    public typealias Cache = BatchNormCore.Cache

    public init(numFeatures: Int, eps: Float = 1e-5, momentum: Float = 0.1) {
        core = BatchNormCore(numFeatures: numFeatures, eps: eps, momentum: momentum)
    }

    private static func shape(_ x: Tensor) -> BatchNormKernels.Shape {
        precondition(x.rank == 2 || x.rank == 3, "BatchNorm1d expects (N,C) or (N,C,L), got \(x.shape)")
        return .init(batch: x.shape[0], channels: x.shape[1], spatial: x.rank == 3 ? x.shape[2] : 1)
    }

    /// x: (N,C) or (N,C,L) -> the same shape
    public mutating func forward(_ input: Tensor, training: Bool) -> (output: Tensor, cache: Cache) {
        core.forward(input, shape: Self.shape(input), training: training)
    }

    public mutating func backward(_ gradOutput: Tensor, cache: Cache) -> Tensor {
        core.backward(gradOutput, shape: Self.shape(gradOutput), cache: cache)
    }

    public mutating func visitParameters(_ visit: (_ name: String, _ value: inout Tensor, _ gradient: inout Tensor) -> Void) {
        core.visitParameters(visit)
    }

    public mutating func visitBuffers(_ visit: (_ name: String, _ value: inout Tensor) -> Void) {
        core.visitBuffers(visit)
    }
}
