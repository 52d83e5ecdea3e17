import Render

/// The networks `--arch` names. Each builds a HashingNetwork for a code length, an input
/// size and a class count, from a seed.
public enum Architecture: String, Sendable, CaseIterable, Codable {
    /// DSH's three-convolution CIFAR-10 network (Liu et al., CVPR 2016): the seeds' baseline.
    case dsh

    public struct Configuration: Sendable, Equatable {
        public var bits: Int
        public var inputSize: Int
        /// Classes for a classification head; nil for methods without one.
        public var classes: Int?
        public var seed: UInt64

        public init(bits: Int, inputSize: Int = 32, classes: Int? = nil, seed: UInt64 = 0) {
            self.bits = bits
            self.inputSize = inputSize
            self.classes = classes
            self.seed = seed
        }
    }

    public func build(_ configuration: Configuration) -> HashingNetwork {
        precondition(configuration.bits > 0, "bits must be positive")
        var generator = SeededGenerator(seed: configuration.seed)
        switch self {
        case .dsh: return Self.dsh(configuration, &generator)
        }
    }

    /// conv5x5(32) -> maxpool 3/2 -> ReLU -> conv5x5(32) -> ReLU -> avgpool 3/2 -> conv5x5(64)
    /// -> ReLU -> avgpool 3/2 -> fc 500 -> ReLU -> hash layer (tanh). The convolutions keep
    /// their size (padding 2); the pools use PyTorch's floor rounding (Caffe's original
    /// rounds up), so 32x32 input gives 15, 7 and 3 pixels wide maps.
    private static func dsh(_ c: Configuration, _ generator: inout SeededGenerator) -> HashingNetwork {
        let after1 = (c.inputSize - 3) / 2 + 1, after2 = (after1 - 3) / 2 + 1, after3 = (after2 - 3) / 2 + 1
        precondition(after3 >= 1, "dsh needs inputs of at least 15 pixels, got \(c.inputSize)")
        let features = Sequential([
            Conv2d(inChannels: 3, outChannels: 32, kernelSize: 5, padding: Padding(2), generator: &generator),
            MaxPool2d(kernelSize: 3, stride: 2),
            ReLU(),
            Conv2d(inChannels: 32, outChannels: 32, kernelSize: 5, padding: Padding(2), generator: &generator),
            ReLU(),
            AvgPool2d(kernelSize: 3, stride: 2),
            Conv2d(inChannels: 32, outChannels: 64, kernelSize: 5, padding: Padding(2), generator: &generator),
            ReLU(),
            AvgPool2d(kernelSize: 3, stride: 2),
            Flatten(),
            Linear(inFeatures: 64 * after3 * after3, outFeatures: 500, generator: &generator),
            ReLU(),
        ])
        return HashingNetwork(features: features, featureCount: 500, bits: c.bits, classes: c.classes,
                              activation: .tanh, generator: &generator)
    }
}
