import Basics

/// The residual soft-mask attention of DAH (after Wang et al. 2017, "Residual Attention
/// Network"), in hashscope's small form: out = (1 + M(x)) * T(x).
///
/// - Trunk T: any layer (the caller's conv stage), (N, C, H, W) -> (N, K, H', W').
/// - Mask M, exactly: conv3x3 (C -> K, stride s, padding 1, bias) -> ReLU -> conv1x1 (K -> K,
///   bias) -> sigmoid, so M(x) is (N, K, H', W') in (0, 1), one weight per trunk activation.
///   Wang et al.'s mask branch adds a bottom-up/top-down hourglass (max pooling, then
///   upsampling) for a wider view; hashscope keeps the two convolutions only (the feature maps
///   it attends are 8x8 or smaller). s (`maskStride`) must make M's grid the trunk's.
/// The "1 +" keeps the trunk's features where the mask is near 0 (attention residual learning).
///
/// Names: "trunk.<trunk's names>", "mask.conv1.weight" (K, C, 3, 3), "mask.conv1.bias",
/// "mask.conv2.weight" (K, K, 1, 1), "mask.conv2.bias".
///
/// Attention map: the mean over the K channels of M(x), (N, H', W'), in (0, 1).
public struct ResidualSoftMaskAttention<Trunk: Layer>: Layer, AttentionMapping {
    public var trunk: Trunk
    public private(set) var maskConv1: Conv2d
    public private(set) var maskConv2: Conv2d

    public struct Cache {
        let trunk: Trunk.Cache
        /// T(x): (N, K, H', W')
        let trunkOutput: Tensor
        let maskConv1: Conv2d.Cache, maskConv2: Conv2d.Cache
        /// conv3x3's output before the ReLU: (N, K, H', W').
        let hidden: Tensor
        /// M(x): (N, K, H', W'), in (0, 1).
        let mask: Tensor
    }

    /// The mask branch for a trunk mapping `inChannels` to `outChannels` with stride
    /// `maskStride`, initialised as PyTorch initialises convolutions.
    public init(trunk: Trunk, inChannels: Int, outChannels: Int, maskStride: Int = 1, generator: inout SeededGenerator) {
        self.init(trunk: trunk,
                  maskConv1: Conv2d(inChannels: inChannels, outChannels: outChannels, kernelSize: 3, stride: maskStride,
                                    padding: Padding(1), generator: &generator),
                  maskConv2: Conv2d(inChannels: outChannels, outChannels: outChannels, kernelSize: 1, generator: &generator))
    }

    /// The given trunk and mask convolutions (conv3x3 C -> K, conv1x1 K -> K).
    public init(trunk: Trunk, maskConv1: Conv2d, maskConv2: Conv2d) {
        precondition(maskConv1.kernelHeight == 3 && maskConv1.kernelWidth == 3 && maskConv1.padding == Padding(1),
                     "mask conv1 must be 3x3 with padding 1")
        precondition(maskConv2.kernelHeight == 1 && maskConv2.kernelWidth == 1 && maskConv2.strideHeight == 1
                     && maskConv2.strideWidth == 1 && maskConv2.padding == .zero, "mask conv2 must be 1x1")
        precondition(maskConv2.inChannels == maskConv1.outChannels && maskConv2.outChannels == maskConv1.outChannels,
                     "mask conv2 must be K -> K after conv1's K = \(maskConv1.outChannels)")
        self.trunk = trunk
        self.maskConv1 = maskConv1
        self.maskConv2 = maskConv2
    }

    /// x: (N,C,H,W) -> (N,K,H',W')
    public mutating func forward(_ input: Tensor, training: Bool) -> (output: Tensor, cache: Cache) {
        let (trunkOutput, trunkCache) = trunk.forward(input, training: training)
        let (hidden, cache1) = maskConv1.forward(input, training: training)
        let (logits, cache2) = maskConv2.forward(hidden.map { max(0, $0) }, training: training)
        let mask = logits.map(Sigmoid.sigmoid)
        precondition(mask.shape == trunkOutput.shape,
                     "soft mask \(mask.shape) does not match the trunk's output \(trunkOutput.shape): check the mask stride")
        let output = mask.zipMap(trunkOutput) { m, t in (1 + m) * t }
        return (output, Cache(trunk: trunkCache, trunkOutput: trunkOutput, maskConv1: cache1, maskConv2: cache2,
                              hidden: hidden, mask: mask))
    }

    /// dy: (N,K,H',W') -> dx: (N,C,H,W); trunk and mask gradients accumulate.
    public mutating func backward(_ gradOutput: Tensor, cache: Cache) -> Tensor {
        precondition(gradOutput.shape == cache.mask.shape, "soft mask gradient \(gradOutput.shape) for output \(cache.mask.shape)")
        // dT = dy (1 + M); dM = dy T, through the sigmoid: dM M (1 - M).
        let gradTrunk = gradOutput.zipMap(cache.mask) { d, m in d * (1 + m) }
        let gradMaskOutput = gradOutput.zipMap(cache.trunkOutput, *)
        let gradLogits = gradMaskOutput.zipMap(cache.mask) { d, m in d * m * (1 - m) }
        let gradActivated = maskConv2.backward(gradLogits, cache: cache.maskConv2)
        let gradHidden = gradActivated.zipMap(cache.hidden) { d, pre in pre > 0 ? d : 0 }
        var gradInput = trunk.backward(gradTrunk, cache: cache.trunk)
        gradInput += maskConv1.backward(gradHidden, cache: cache.maskConv1)
        return gradInput
    }

    /// mean over channels of M(x): (N, H', W'), in (0, 1).
    public func attentionMap(_ cache: Cache) -> Tensor {
        let (n, k, h, w) = cache.mask.nchw
        let plane = h * w
        var map = Tensor.zeros([n, h, w])
        map.withUnsafeMutableBufferPointer { out in
            cache.mask.withUnsafeBufferPointer { m in
                for image in 0..<n {
                    for channel in 0..<k {
                        let row = (image * k + channel) * plane
                        for i in 0..<plane { out[image * plane + i] += m[row + i] }
                    }
                    for i in (image * plane)..<((image + 1) * plane) { out[i] /= Float(k) }
                }
            }
        }
        return map
    }

    public mutating func visitParameters(_ visit: (_ name: String, _ value: inout Tensor, _ gradient: inout Tensor) -> Void) {
        Networks.visitParameters(of: &trunk, prefix: "trunk", visit)
        Networks.visitParameters(of: &maskConv1, prefix: "mask.conv1", visit)
        Networks.visitParameters(of: &maskConv2, prefix: "mask.conv2", visit)
    }

    public mutating func visitBuffers(_ visit: (_ name: String, _ value: inout Tensor) -> Void) {
        Networks.visitBuffers(of: &trunk, prefix: "trunk", visit)
    }
}
