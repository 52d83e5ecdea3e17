import Basics

/// DFEH's feature-enhancement layer (method 3), applied to the input before the feature
/// extractor.
///
/// The DFEH paper's exact layer is not available to this project; this is hashscope's reading of
/// it: a learned residual enhancement that keeps the input and adds a per-channel, per-position
/// correction computed from its 3x3 neighbourhoods,
///   y = x + conv3x3(relu(conv3x3(x))),
/// both convolutions C -> C, stride 1, padding 1, with bias. Shape is kept: (N,C,H,W) -> same.
///
/// Names: "conv1.weight" (C, C, 3, 3), "conv1.bias", "conv2.weight" (C, C, 3, 3), "conv2.bias".
public struct FeatureEnhancement: Layer {
    public private(set) var conv1: Conv2d
    public private(set) var conv2: Conv2d

    public struct Cache {
        let conv1: Conv2d.Cache, conv2: Conv2d.Cache
        /// relu(conv1(x)): (N, C, H, W).
        let activated: Tensor
    }

    /// A layer over `channels` channels, initialised as PyTorch initialises convolutions.
    public init(channels: Int, generator: inout SeededGenerator) {
        self.init(conv1: Conv2d(inChannels: channels, outChannels: channels, kernelSize: 3, padding: Padding(1), generator: &generator),
                  conv2: Conv2d(inChannels: channels, outChannels: channels, kernelSize: 3, padding: Padding(1), generator: &generator))
    }

    /// The given convolutions, both 3x3 C -> C with stride 1 and padding 1.
    public init(conv1: Conv2d, conv2: Conv2d) {
        for conv in [conv1, conv2] {
            precondition(conv.kernelHeight == 3 && conv.kernelWidth == 3 && conv.strideHeight == 1 && conv.strideWidth == 1
                         && conv.padding == Padding(1) && conv.groups == 1 && conv.inChannels == conv.outChannels,
                         "feature enhancement convolutions must be 3x3, C -> C, stride 1, padding 1")
        }
        precondition(conv1.outChannels == conv2.inChannels, "feature enhancement convolutions must have equal channels")
        self.conv1 = conv1
        self.conv2 = conv2
    }

    public var channels: Int { conv1.inChannels }

    /// x: (N,C,H,W) -> (N,C,H,W)
    public func forward(_ input: Tensor, training: Bool) -> (output: Tensor, cache: Cache) {
        let (hidden, cache1) = conv1.forward(input, training: training)
        let activated = ReLU().forward(hidden, training: training).output
        let (correction, cache2) = conv2.forward(activated, training: training)
        return (input + correction, Cache(conv1: cache1, conv2: cache2, activated: activated))
    }

    /// dy: (N,C,H,W) -> dx: (N,C,H,W) = dy + the correction branch's gradient.
    public mutating func backward(_ gradOutput: Tensor, cache: Cache) -> Tensor {
        var gradient = conv2.backward(gradOutput, cache: cache.conv2)
        // ReLU's output stands in for its input: both are > 0 at the same places.
        gradient = ReLU().backward(gradient, cache: cache.activated)
        var gradInput = conv1.backward(gradient, cache: cache.conv1)
        gradInput += gradOutput
        return gradInput
    }

    public mutating func visitParameters(_ visit: (_ name: String, _ value: inout Tensor, _ gradient: inout Tensor) -> Void) {
        Networks.visitParameters(of: &conv1, prefix: "conv1", visit)
        Networks.visitParameters(of: &conv2, prefix: "conv2", visit)
    }
}
