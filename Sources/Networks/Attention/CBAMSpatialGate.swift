import Basics

/// CBAM's spatial attention (Woo et al. 2018, eq. 3), output x * Ms with
/// Ms = sigmoid(conv7x7([mean_c(x); max_c(x)])) broadcast over the channels.
///
/// The two pooled planes are stacked mean first, max second, as in the paper's equation (the
/// authors' ChannelPool stacks max first: a checkpoint from that code needs its conv weight's two
/// input channels swapped). The convolution is 2 -> 1 channels, kernel k (7; the paper's
/// ablation also tries 3), padding k/2, bias=False by default (as the wide-spread CBAM ResNet
/// code; the authors' BasicConv adds a BatchNorm instead, which hashscope leaves out).
/// Name: "conv.weight" (1, 2, k, k), plus "conv.bias" with a bias.
///
/// Max over channels sends its gradient to the first maximal channel, as PyTorch's max does.
///
/// Attention map: Ms itself, (N, H, W), in (0, 1).
public struct CBAMSpatialGate: Layer, AttentionMapping {
    public var kernelSize: Int { conv.kernelHeight }
    public private(set) var conv: Conv2d

    public struct Cache {
        let input: Tensor
        let conv: Conv2d.Cache
        /// (N*H*W): the channel holding each position's maximum.
        let argmax: [Int]
        /// Ms: (N, 1, H, W), in (0, 1).
        let map: Tensor
    }

    /// A gate with PyTorch's default initialisation.
    public init(kernelSize: Int = 7, bias: Bool = false, generator: inout SeededGenerator) {
        precondition(kernelSize > 0 && kernelSize % 2 == 1, "CBAM spatial kernel must be odd, got \(kernelSize)")
        self.init(conv: Conv2d(inChannels: 2, outChannels: 1, kernelSize: kernelSize, padding: Padding(kernelSize / 2),
                               bias: bias, generator: &generator))
    }

    /// A gate with the given convolution weight (1, 2, k, k) and bias (1), padding k/2.
    public init(weight: Tensor, bias: Tensor? = nil) {
        precondition(weight.rank == 4 && weight.shape[2] == weight.shape[3] && weight.shape[2] % 2 == 1,
                     "CBAM spatial weight must be (1, 2, k, k) with k odd, got \(weight.shape)")
        self.init(conv: Conv2d(weight: weight, bias: bias, padding: Padding(weight.shape[2] / 2)))
    }

    private init(conv: Conv2d) {
        precondition(conv.inChannels == 2 && conv.outChannels == 1 && conv.groups == 1,
                     "CBAM spatial conv must map 2 channels to 1")
        self.conv = conv
    }

    /// x: (N,C,H,W) -> (N,C,H,W)
    public func forward(_ input: Tensor, training: Bool) -> (output: Tensor, cache: Cache) {
        let (n, c, h, w) = input.nchw
        let plane = h * w
        precondition(c > 0, "CBAM spatial gate of an input without channels")
        // pooled (N, 2, H, W): channel 0 the mean over channels, channel 1 the maximum.
        var argmax = [Int](repeating: 0, count: n * plane)
        let pooled = input.withUnsafeBufferPointer { x in
            Tensor(shape: [n, 2, h, w]) { out in
                for image in 0..<n {
                    let mean = out.baseAddress! + image * 2 * plane, largest = mean + plane
                    let source = x.baseAddress! + image * c * plane
                    for i in 0..<plane {
                        mean[i] = source[i]
                        largest[i] = source[i]
                        argmax[image * plane + i] = 0
                    }
                    for channel in 1..<max(1, c) {
                        let row = source + channel * plane
                        for i in 0..<plane {
                            let v = row[i]
                            mean[i] += v
                            if v > largest[i] { largest[i] = v; argmax[image * plane + i] = channel }
                        }
                    }
                    let scale = 1 / Float(c)
                    for i in 0..<plane { mean[i] *= scale }
                }
            }
        }
        let (logits, convCache) = conv.forward(pooled, training: training)
        let map = logits.map(Sigmoid.sigmoid)
        let output = input.withUnsafeBufferPointer { x in
            map.withUnsafeBufferPointer { m in
                Tensor(shape: input.shape) { y in
                    for image in 0..<n {
                        for channel in 0..<c {
                            let offset = (image * c + channel) * plane
                            for i in 0..<plane { y[offset + i] = x[offset + i] * m[image * plane + i] }
                        }
                    }
                }
            }
        }
        return (output, Cache(input: input, conv: convCache, argmax: argmax, map: map))
    }

    /// dy: (N,C,H,W) -> dx: (N,C,H,W); the conv's gradients accumulate.
    public mutating func backward(_ gradOutput: Tensor, cache: Cache) -> Tensor {
        let (n, c, h, w) = cache.input.nchw
        precondition(gradOutput.shape == cache.input.shape, "CBAM spatial gate gradient \(gradOutput.shape) for input \(cache.input.shape)")
        let plane = h * w
        var gradInput = Tensor.zeros(like: cache.input)
        // dx = dy * Ms; dL/dMs = sum over channels of dy * x, then through the sigmoid.
        var gradLogits = Tensor.zeros([n, 1, h, w])
        cache.input.withUnsafeBufferPointer { x in
            gradOutput.withUnsafeBufferPointer { dy in
                cache.map.withUnsafeBufferPointer { m in
                    gradInput.withUnsafeMutableBufferPointer { dx in
                        gradLogits.withUnsafeMutableBufferPointer { dz in
                            for image in 0..<n {
                                let mapOffset = image * plane
                                for channel in 0..<c {
                                    let offset = (image * c + channel) * plane
                                    for i in 0..<plane {
                                        dz[mapOffset + i] += dy[offset + i] * x[offset + i]
                                        dx[offset + i] = dy[offset + i] * m[mapOffset + i]
                                    }
                                }
                                for i in mapOffset..<(mapOffset + plane) { dz[i] *= m[i] * (1 - m[i]) }
                            }
                        }
                    }
                }
            }
        }
        let gradPooled = conv.backward(gradLogits, cache: cache.conv)
        // The mean shares its gradient over the channels; the max sends it to the argmax channel.
        gradInput.withUnsafeMutableBufferPointer { dx in
            gradPooled.withUnsafeBufferPointer { dp in
                let scale = 1 / Float(c)
                for image in 0..<n {
                    let gradMean = image * 2 * plane, gradMax = gradMean + plane
                    for channel in 0..<c {
                        let offset = (image * c + channel) * plane
                        for i in 0..<plane { dx[offset + i] += dp[gradMean + i] * scale }
                    }
                    for i in 0..<plane {
                        dx[(image * c + cache.argmax[image * plane + i]) * plane + i] += dp[gradMax + i]
                    }
                }
            }
        }
        return gradInput
    }

    /// Ms: (N, H, W), in (0, 1).
    public func attentionMap(_ cache: Cache) -> Tensor {
        let (n, _, h, w) = cache.input.nchw
        return cache.map.reshaped([n, h, w])
    }

    public mutating func visitParameters(_ visit: (_ name: String, _ value: inout Tensor, _ gradient: inout Tensor) -> Void) {
        Networks.visitParameters(of: &conv, prefix: "conv", visit)
    }
}
