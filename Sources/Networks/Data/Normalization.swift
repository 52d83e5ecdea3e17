/// How 0...255 pixels become network inputs: per-channel mean/std on 0...1 values, or the
/// affine (x - offset) / scale on raw values. The model file's type, so what a model was
/// trained with is what its file records (Codable, in `__metadata__`).
public typealias Normalization = ModelMetadata.Normalization

extension ModelMetadata.Normalization {
    /// CIFAR-10's training-set statistics, as the field's training scripts use them.
    public static let cifar10 = Normalization.meanStd(mean: [0.4914, 0.4822, 0.4465], std: [0.2470, 0.2435, 0.2616])

    /// Per channel (scale, bias) for `channels` channels: input = pixel * scale + bias.
    public func scalesAndBiases(channels: Int) -> (scales: [Float], biases: [Float]) {
        let pairs = (0..<channels).map { scaleAndBias(channel: $0) }
        return (pairs.map(\.scale), pairs.map(\.bias))
    }

    /// The network input of pixel value `value` in channel `c`.
    public func normalized(_ value: UInt8, channel c: Int) -> Float {
        let (scale, bias) = scaleAndBias(channel: c)
        return Float(value) * scale + bias
    }

    /// What a black pixel becomes, per channel: the fill of padding added after normalisation,
    /// so a padded border looks as torchvision's zero-padded image would.
    public func black(channels: Int) -> [Float] { scalesAndBiases(channels: channels).biases }
}
