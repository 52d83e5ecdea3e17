import Basics

/// NIN's mlpconv block (Lin et al. 2014, "Network In Network"): a kxk convolution followed by
/// a two-layer per-pixel MLP written as 1x1 convolutions, each followed by a ReLU:
///   conv kxk (C -> C1, stride, padding) -> ReLU -> conv1x1 (C1 -> C2) -> ReLU
///   -> conv1x1 (C2 -> C3) -> ReLU.
/// Method 2 (DLBHC-style NIN) stacks three, with pooling between, under global average pooling.
///
/// Names: "conv1.*" (C1, C, k, k), "conv2.*" (C2, C1, 1, 1), "conv3.*" (C3, C2, 1, 1), each with
/// a bias as in NIN. (A PyTorch nn.Sequential of the same layers names them "0", "2", "4".)
public struct MLPConv: Layer {
    public private(set) var conv1: Conv2d
    public private(set) var conv2: Conv2d
    public private(set) var conv3: Conv2d

    public struct Cache {
        let conv1: Conv2d.Cache, conv2: Conv2d.Cache, conv3: Conv2d.Cache
        /// The three ReLU outputs (a ReLU's derivative is 1 exactly where its output is > 0).
        let activated1: Tensor, activated2: Tensor, activated3: Tensor
    }

    /// NIN's block with PyTorch's default initialisation; padding defaults to k/2 ('same' for
    /// odd k at stride 1), as NIN's CIFAR model uses.
    public init(inChannels: Int, channels: (Int, Int, Int), kernelSize: Int, stride: Int = 1, padding: Int? = nil,
                generator: inout SeededGenerator) {
        self.init(conv1: Conv2d(inChannels: inChannels, outChannels: channels.0, kernelSize: kernelSize, stride: stride,
                                padding: Padding(padding ?? kernelSize / 2), generator: &generator),
                  conv2: Conv2d(inChannels: channels.0, outChannels: channels.1, kernelSize: 1, generator: &generator),
                  conv3: Conv2d(inChannels: channels.1, outChannels: channels.2, kernelSize: 1, generator: &generator))
    }

    /// The given convolutions; conv2 and conv3 must be plain 1x1.
    public init(conv1: Conv2d, conv2: Conv2d, conv3: Conv2d) {
        for conv in [conv2, conv3] {
            precondition(conv.kernelHeight == 1 && conv.kernelWidth == 1 && conv.strideHeight == 1 && conv.strideWidth == 1
                         && conv.padding == .zero, "mlpconv's second and third convolutions must be 1x1")
        }
        precondition(conv2.inChannels == conv1.outChannels && conv3.inChannels == conv2.outChannels,
                     "mlpconv channels do not chain: \(conv1.outChannels) -> \(conv2.inChannels), \(conv2.outChannels) -> \(conv3.inChannels)")
        self.conv1 = conv1
        self.conv2 = conv2
        self.conv3 = conv3
    }

    /// The output channels C3.
    public var outChannels: Int { conv3.outChannels }

    /// x: (N,C,H,W) -> (N,C3,H',W')
    public func forward(_ input: Tensor, training: Bool) -> (output: Tensor, cache: Cache) {
        let relu = ReLU()
        let (z1, cache1) = conv1.forward(input, training: training)
        let a1 = relu.forward(z1, training: training).output
        let (z2, cache2) = conv2.forward(a1, training: training)
        let a2 = relu.forward(z2, training: training).output
        let (z3, cache3) = conv3.forward(a2, training: training)
        let a3 = relu.forward(z3, training: training).output
        return (a3, Cache(conv1: cache1, conv2: cache2, conv3: cache3, activated1: a1, activated2: a2, activated3: a3))
    }

    /// dy: (N,C3,H',W') -> dx: (N,C,H,W); the three convolutions' gradients accumulate.
    public mutating func backward(_ gradOutput: Tensor, cache: Cache) -> Tensor {
        // ReLU's backward with its output standing in for its input: both are > 0 at the same places.
        let relu = ReLU()
        var gradient = relu.backward(gradOutput, cache: cache.activated3)
        gradient = conv3.backward(gradient, cache: cache.conv3)
        gradient = relu.backward(gradient, cache: cache.activated2)
        gradient = conv2.backward(gradient, cache: cache.conv2)
        gradient = relu.backward(gradient, cache: cache.activated1)
        return conv1.backward(gradient, cache: cache.conv1)
    }

    public mutating func visitParameters(_ visit: (_ name: String, _ value: inout Tensor, _ gradient: inout Tensor) -> Void) {
        Networks.visitParameters(of: &conv1, prefix: "conv1", visit)
        Networks.visitParameters(of: &conv2, prefix: "conv2", visit)
        Networks.visitParameters(of: &conv3, prefix: "conv3", visit)
    }
}
