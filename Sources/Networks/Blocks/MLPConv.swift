import Basics

/// NIN's mlpconv block (Lin et al. 2014, "Network In Network"): a kxk convolution followed by
/// a two-layer per-pixel MLP written as 1x1 convolutions, each followed by a ReLU:
///   conv kxk (C -> C1, stride, padding) -> ReLU -> conv1x1 (C1 -> C2) -> ReLU
///   -> conv1x1 (C2 -> C3) -> ReLU.
/// Method 2 (DLBHC-style NIN) stacks three, with pooling between, under global average pooling.
///
/// Names: "conv1.*" (C1, C, k, k), "conv2.*" (C2, C1, 1, 1), "conv3.*" (C3, C2, 1, 1), each with
/// a bias as in NIN. (A PyTorch nn.Sequential of the same layers names them "0", "2", "4".)
///
/// With batch norm (NIN predates it; hashscope's nin uses it, because without it NIN barely
/// learns in the epochs two cores allow), each convolution is followed by a BatchNorm2d before
/// its ReLU, "bn1.*", "bn2.*", "bn3.*", and the convolutions drop their biases, which the
/// normalisation would cancel.
public struct MLPConv: Layer {
    public private(set) var conv1: Conv2d
    public private(set) var conv2: Conv2d
    public private(set) var conv3: Conv2d
    public private(set) var norm1: BatchNorm2d?
    public private(set) var norm2: BatchNorm2d?
    public private(set) var norm3: BatchNorm2d?

    public struct Cache {
        let conv1: Conv2d.Cache, conv2: Conv2d.Cache, conv3: Conv2d.Cache
        let norm1: BatchNorm2d.Cache?, norm2: BatchNorm2d.Cache?, norm3: BatchNorm2d.Cache?
        /// The three ReLU outputs (a ReLU's derivative is 1 exactly where its output is > 0).
        let activated1: Tensor, activated2: Tensor, activated3: Tensor
    }

    /// NIN's block with PyTorch's default initialisation; padding defaults to k/2 ('same' for
    /// odd k at stride 1), as NIN's CIFAR model uses.
    public init(inChannels: Int, channels: (Int, Int, Int), kernelSize: Int, stride: Int = 1, padding: Int? = nil,
                batchNorm: Bool = false, generator: inout SeededGenerator) {
        self.init(conv1: Conv2d(inChannels: inChannels, outChannels: channels.0, kernelSize: kernelSize, stride: stride,
                                padding: Padding(padding ?? kernelSize / 2), bias: !batchNorm, generator: &generator),
                  conv2: Conv2d(inChannels: channels.0, outChannels: channels.1, kernelSize: 1, bias: !batchNorm,
                                generator: &generator),
                  conv3: Conv2d(inChannels: channels.1, outChannels: channels.2, kernelSize: 1, bias: !batchNorm,
                                generator: &generator),
                  batchNorm: batchNorm)
    }

    /// The given convolutions; conv2 and conv3 must be plain 1x1.
    public init(conv1: Conv2d, conv2: Conv2d, conv3: Conv2d, batchNorm: Bool = false) {
        for conv in [conv2, conv3] {
            precondition(conv.kernelHeight == 1 && conv.kernelWidth == 1 && conv.strideHeight == 1 && conv.strideWidth == 1
                         && conv.padding == .zero, "mlpconv's second and third convolutions must be 1x1")
        }
        precondition(conv2.inChannels == conv1.outChannels && conv3.inChannels == conv2.outChannels,
                     "mlpconv channels do not chain: \(conv1.outChannels) -> \(conv2.inChannels), \(conv2.outChannels) -> \(conv3.inChannels)")
        self.conv1 = conv1
        self.conv2 = conv2
        self.conv3 = conv3
        if batchNorm {
            norm1 = BatchNorm2d(numFeatures: conv1.outChannels)
            norm2 = BatchNorm2d(numFeatures: conv2.outChannels)
            norm3 = BatchNorm2d(numFeatures: conv3.outChannels)
        }
    }

    /// The output channels C3.
    public var outChannels: Int { conv3.outChannels }

    /// x: (N,C,H,W) -> (N,C3,H',W')
    public mutating func forward(_ input: Tensor, training: Bool) -> (output: Tensor, cache: Cache) {
        let (z1, cache1, n1) = Self.convolve(conv1, &norm1, input, training)
        let a1 = ReLU().forward(z1, training: training).output
        let (z2, cache2, n2) = Self.convolve(conv2, &norm2, a1, training)
        let a2 = ReLU().forward(z2, training: training).output
        let (z3, cache3, n3) = Self.convolve(conv3, &norm3, a2, training)
        let a3 = ReLU().forward(z3, training: training).output
        return (a3, Cache(conv1: cache1, conv2: cache2, conv3: cache3, norm1: n1, norm2: n2, norm3: n3,
                          activated1: a1, activated2: a2, activated3: a3))
    }

    /// One convolution and its batch norm, if any: what goes into a ReLU.
    private static func convolve(_ conv: Conv2d, _ norm: inout BatchNorm2d?, _ input: Tensor, _ training: Bool)
        -> (Tensor, Conv2d.Cache, BatchNorm2d.Cache?) {
        let (z, convCache) = conv.forward(input, training: training)
        guard norm != nil else { return (z, convCache, nil) }
        let (normalised, normCache) = norm!.forward(z, training: training)
        return (normalised, convCache, normCache)
    }

    /// dy: (N,C3,H',W') -> dx: (N,C,H,W); the convolutions' and norms' gradients accumulate.
    public mutating func backward(_ gradOutput: Tensor, cache: Cache) -> Tensor {
        // ReLU's backward with its output standing in for its input: both are > 0 at the same places.
        let relu = ReLU()
        var gradient = relu.backward(gradOutput, cache: cache.activated3)
        gradient = Self.backward(&conv3, &norm3, gradient, cache.conv3, cache.norm3)
        gradient = relu.backward(gradient, cache: cache.activated2)
        gradient = Self.backward(&conv2, &norm2, gradient, cache.conv2, cache.norm2)
        gradient = relu.backward(gradient, cache: cache.activated1)
        return Self.backward(&conv1, &norm1, gradient, cache.conv1, cache.norm1)
    }

    private static func backward(_ conv: inout Conv2d, _ norm: inout BatchNorm2d?, _ gradOutput: Tensor,
                                 _ convCache: Conv2d.Cache, _ normCache: BatchNorm2d.Cache?) -> Tensor {
        var gradient = gradOutput
        if let normCache { gradient = norm!.backward(gradient, cache: normCache) }
        return conv.backward(gradient, cache: convCache)
    }

    public mutating func visitParameters(_ visit: (_ name: String, _ value: inout Tensor, _ gradient: inout Tensor) -> Void) {
        Networks.visitParameters(of: &conv1, prefix: "conv1", visit)
        if norm1 != nil { Networks.visitParameters(of: &norm1!, prefix: "bn1", visit) }
        Networks.visitParameters(of: &conv2, prefix: "conv2", visit)
        if norm2 != nil { Networks.visitParameters(of: &norm2!, prefix: "bn2", visit) }
        Networks.visitParameters(of: &conv3, prefix: "conv3", visit)
        if norm3 != nil { Networks.visitParameters(of: &norm3!, prefix: "bn3", visit) }
    }

    public mutating func visitBuffers(_ visit: (_ name: String, _ value: inout Tensor) -> Void) {
        if norm1 != nil { Networks.visitBuffers(of: &norm1!, prefix: "bn1", visit) }
        if norm2 != nil { Networks.visitBuffers(of: &norm2!, prefix: "bn2", visit) }
        if norm3 != nil { Networks.visitBuffers(of: &norm3!, prefix: "bn3", visit) }
    }
}
