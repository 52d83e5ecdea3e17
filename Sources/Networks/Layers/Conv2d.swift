import Basics
/// 2-D convolution, PyTorch's nn.Conv2d (no dilation): weight (K, C/groups, kh, kw), bias (K).
///
/// Ordinary and grouped convolutions run as im2col + sgemm; depthwise ones (groups == C > 1)
/// run a direct kernel. Either way the batch is split over the cores, each worker calling
/// one-thread BLAS (docs/ARCHITECTURE.md, Platform notes 11).
public struct Conv2d: Layer {
    public let inChannels: Int, outChannels: Int
    public let kernelHeight: Int, kernelWidth: Int
    public let strideHeight: Int, strideWidth: Int
    public let padding: Padding
    public let groups: Int

    /// (K, C/groups, kh, kw)
    public private(set) var weight: Tensor
    /// (K), or nil for bias=False.
    public private(set) var bias: Tensor?
    public private(set) var weightGrad: Tensor
    public private(set) var biasGrad: Tensor?

    public struct Cache {
        /// The input (N,C,H,W): backward rebuilds the column matrix from it rather than keeping
        /// it (kh*kw times the input's size).
        let input: Tensor
    }

    /// A convolution initialised as PyTorch does: weight and bias uniform in +-1/sqrt(fan_in),
    /// fan_in = C/groups * kh * kw (kaiming_uniform with a = sqrt(5)).
    public init(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1,
                padding: Padding = .zero, groups: Int = 1, bias: Bool = true, generator: inout SeededGenerator) {
        self.init(inChannels: inChannels, outChannels: outChannels, kernelHeight: kernelSize, kernelWidth: kernelSize,
                  strideHeight: stride, strideWidth: stride, padding: padding, groups: groups, bias: bias,
                  generator: &generator)
    }

    public init(inChannels: Int, outChannels: Int, kernelHeight: Int, kernelWidth: Int,
                strideHeight: Int, strideWidth: Int, padding: Padding = .zero, groups: Int = 1,
                bias: Bool = true, generator: inout SeededGenerator) {
        precondition(groups > 0 && inChannels % groups == 0 && outChannels % groups == 0,
                     "groups \(groups) must divide in (\(inChannels)) and out (\(outChannels)) channels")
        let fanIn = inChannels / groups * kernelHeight * kernelWidth
        let bound = 1 / Float(fanIn).squareRoot()
        let weight = Tensor.randomUniform([outChannels, inChannels / groups, kernelHeight, kernelWidth],
                                          low: -bound, high: bound, generator: &generator)
        let biasValues = bias ? Tensor.randomUniform([outChannels], low: -bound, high: bound, generator: &generator) : nil
        self.init(weight: weight, bias: biasValues, strideHeight: strideHeight, strideWidth: strideWidth,
                  padding: padding, groups: groups)
    }

    /// A convolution with the given weight (K, C/groups, kh, kw) and bias (K).
    public init(weight: Tensor, bias: Tensor?, strideHeight: Int = 1, strideWidth: Int = 1,
                padding: Padding = .zero, groups: Int = 1) {
        precondition(weight.rank == 4, "conv weight must be (K, C/groups, kh, kw), got \(weight.shape)")
        precondition(groups > 0 && weight.shape[0] % groups == 0, "groups \(groups) must divide \(weight.shape[0]) output channels")
        precondition(bias == nil || bias?.shape == [weight.shape[0]], "conv bias must be (\(weight.shape[0]))")
        precondition(strideHeight > 0 && strideWidth > 0, "stride must be positive")
        outChannels = weight.shape[0]
        inChannels = weight.shape[1] * groups
        kernelHeight = weight.shape[2]; kernelWidth = weight.shape[3]
        self.strideHeight = strideHeight; self.strideWidth = strideWidth
        self.padding = padding
        self.groups = groups
        self.weight = weight
        self.bias = bias
        weightGrad = .zeros(like: weight)
        biasGrad = bias.map { .zeros(like: $0) }
    }

    /// Depthwise: every input channel convolved on its own (EfficientNet, MobileNet).
    public var isDepthwise: Bool { groups > 1 && groups == inChannels }

    /// The output (H', W') for an input of height x width.
    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        let g = geometry(height: height, width: width)
        return (g.outputHeight, g.outputWidth)
    }

    func shape(of input: Tensor) -> ConvolutionShape {
        let (n, c, h, w) = input.nchw
        precondition(c == inChannels, "conv expects \(inChannels) input channels, got input \(input.shape)")
        return ConvolutionShape(batch: n, outChannels: outChannels, groups: groups, geometry: geometry(height: h, width: w))
    }

    private func geometry(height: Int, width: Int) -> WindowGeometry {
        WindowGeometry(channels: inChannels, height: height, width: width,
                       kernelHeight: kernelHeight, kernelWidth: kernelWidth,
                       strideHeight: strideHeight, strideWidth: strideWidth, padding: padding)
    }

    /// x: (N,C,H,W) -> (N,K,H',W')
    public func forward(_ input: Tensor, training: Bool) -> (output: Tensor, cache: Cache) {
        let s = shape(of: input)
        // Every kernel overwrites every output, so it is not zeroed first.
        let output = Tensor(shape: [s.batch, outChannels, s.geometry.outputHeight, s.geometry.outputWidth]) { y in
            input.withUnsafeBufferPointer { x in
                weight.withUnsafeBufferPointer { w in
                    withOptionalPointer(bias) { b in
                        guard let x = x.baseAddress, let w = w.baseAddress, let y = y.baseAddress else { return }
                        if isDepthwise {
                            DepthwiseConvolution.forward(x: x, weight: w, bias: b, y: y, shape: s)
                        } else if let transform = WinogradConvolution.transform(for: s) {
                            WinogradConvolution.forward(x: x, weight: w, bias: b, y: y, shape: s, transform: transform)
                        } else {
                            ConvolutionGEMM.forward(x: x, weight: w, bias: b, y: y, shape: s)
                        }
                    }
                }
            }
        }
        return (output, Cache(input: input))
    }

    /// dy: (N,K,H',W') -> dx: (N,C,H,W); dW, db accumulate.
    public mutating func backward(_ gradOutput: Tensor, cache: Cache) -> Tensor {
        // Every kernel overwrites every element of dx, so it is not zeroed first.
        Tensor(shape: cache.input.shape) { dx in backward(gradOutput, cache: cache, into: dx.baseAddress) }
    }

    /// dW, db accumulate; dx is not computed (im2col skips W^T dy and col2im, Winograd its pass).
    public mutating func accumulateParameterGradients(_ gradOutput: Tensor, cache: Cache) {
        guard !isDepthwise else {
            _ = backward(gradOutput, cache: cache)
            return
        }
        backward(gradOutput, cache: cache, into: nil)
    }

    /// dx (N,C,H,W), overwritten, or nil for none (not for depthwise kernels).
    private mutating func backward(_ gradOutput: Tensor, cache: Cache, into dx: UnsafeMutablePointer<Float>?) {
        let s = shape(of: cache.input)
        precondition(gradOutput.shape == [s.batch, outChannels, s.geometry.outputHeight, s.geometry.outputWidth],
                     "conv gradient shape \(gradOutput.shape) does not match its output")
        let depthwise = isDepthwise
        cache.input.withUnsafeBufferPointer { x in
            weight.withUnsafeBufferPointer { w in
                gradOutput.withUnsafeBufferPointer { dy in
                    weightGrad.withUnsafeMutableBufferPointer { dw in
                        withOptionalMutablePointer(&biasGrad) { db in
                            guard let x = x.baseAddress, let w = w.baseAddress, let dy = dy.baseAddress,
                                  let dw = dw.baseAddress else { return }
                            if depthwise, let dx {
                                DepthwiseConvolution.backward(x: x, weight: w, dy: dy, dx: dx, dWeight: dw, dBias: db, shape: s)
                                return
                            }
                            // Winograd where it applies: the weight gradient on the forward's
                            // tiles, dx as the forward pass of the turned kernels; im2col for
                            // the rest (ConvolutionGEMM computes dW always, dx when asked).
                            let back = dx == nil ? nil : WinogradConvolution.inputGradientConvolution(of: s)
                            if let transform = WinogradConvolution.transform(for: s), dx == nil || back != nil {
                                WinogradConvolution.weightGradient(x: x, dy: dy, dWeight: dw, dBias: db, shape: s, transform: transform)
                            } else {
                                ConvolutionGEMM.backward(x: x, weight: w, dy: dy, dx: back == nil ? dx : nil, dWeight: dw, dBias: db, shape: s)
                            }
                            if let dx, let back {
                                WinogradConvolution.inputGradient(dy: dy, weight: w, dx: dx, shape: back.shape, transform: back.transform)
                            }
                        }
                    }
                }
            }
        }
    }

    public mutating func visitParameters(_ visit: (_ name: String, _ value: inout Tensor, _ gradient: inout Tensor) -> Void) {
        visit("weight", &weight, &weightGrad)
        if bias != nil, biasGrad != nil { visit("bias", &bias!, &biasGrad!) }
    }
}

/// Calls `body` with the tensor's base address, or nil when there is no tensor.
func withOptionalPointer<R>(_ tensor: Tensor?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let tensor else { return body(nil) }
    return tensor.withUnsafeBufferPointer { body($0.baseAddress) }
}

/// Calls `body` with the tensor's mutable base address, or nil when there is no tensor.
func withOptionalMutablePointer<R>(_ tensor: inout Tensor?, _ body: (UnsafeMutablePointer<Float>?) -> R) -> R {
    guard tensor != nil else { return body(nil) }
    return tensor!.withUnsafeMutableBufferPointer { body($0.baseAddress) }
}
