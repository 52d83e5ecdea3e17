import Basics

/// The Convolutional Block Attention Module (Woo et al. 2018): channel attention, then spatial
/// attention on its output, x -> (x * Mc) * Ms. Method 5 puts one after the last conv stage.
///
/// Parameters: "channel.fc1.weight" (C/r, C), "channel.fc2.weight" (C, C/r) (and their biases
/// with `channelBias`), "spatial.conv.weight" (1, 2, k, k); see CBAMChannelGate and
/// CBAMSpatialGate for the exact forms.
///
/// Attention map: the spatial gate's Ms, (N, H, W), in (0, 1).
public struct CBAM: Layer, AttentionMapping {
    public private(set) var channel: CBAMChannelGate
    public private(set) var spatial: CBAMSpatialGate

    public struct Cache {
        let channel: CBAMChannelGate.Cache
        let spatial: CBAMSpatialGate.Cache
    }

    /// CBAM with the paper's defaults: reduction 16, 7x7 spatial kernel, no biases.
    public init(channels: Int, reduction: Int = 16, spatialKernelSize: Int = 7, channelBias: Bool = false,
                spatialBias: Bool = false, generator: inout SeededGenerator) {
        channel = CBAMChannelGate(channels: channels, reduction: reduction, bias: channelBias, generator: &generator)
        spatial = CBAMSpatialGate(kernelSize: spatialKernelSize, bias: spatialBias, generator: &generator)
    }

    public init(channel: CBAMChannelGate, spatial: CBAMSpatialGate) {
        self.channel = channel
        self.spatial = spatial
    }

    public var channels: Int { channel.channels }

    /// x: (N,C,H,W) -> (N,C,H,W)
    public func forward(_ input: Tensor, training: Bool) -> (output: Tensor, cache: Cache) {
        let (refined, channelCache) = channel.forward(input, training: training)
        let (output, spatialCache) = spatial.forward(refined, training: training)
        return (output, Cache(channel: channelCache, spatial: spatialCache))
    }

    /// dy: (N,C,H,W) -> dx: (N,C,H,W)
    public mutating func backward(_ gradOutput: Tensor, cache: Cache) -> Tensor {
        let gradRefined = spatial.backward(gradOutput, cache: cache.spatial)
        return channel.backward(gradRefined, cache: cache.channel)
    }

    /// Ms: (N, H, W), in (0, 1).
    public func attentionMap(_ cache: Cache) -> Tensor { spatial.attentionMap(cache.spatial) }

    /// Mc: (N, C), in (0, 1).
    public func channelWeights(_ cache: Cache) -> Tensor { channel.channelWeights(cache.channel) }

    public mutating func visitParameters(_ visit: (_ name: String, _ value: inout Tensor, _ gradient: inout Tensor) -> Void) {
        Networks.visitParameters(of: &channel, prefix: "channel", visit)
        Networks.visitParameters(of: &spatial, prefix: "spatial", visit)
    }
}
