import Basics

/// Turns `RGBImage`s into network input: resized to the input size when they differ (Render's
/// `resized`: area average down, bilinear up), then each channel value normalised into an
/// (N,3,H,W) Float32 tensor, channel planes in R, G, B order.
public struct ImagePreprocessor: Sendable, Equatable {
    public static let channels = 3

    public let width: Int
    public let height: Int
    public let normalization: Normalization
    private let scales: [Float]
    private let biases: [Float]

    public init(width: Int, height: Int, normalization: Normalization) {
        precondition(width > 0 && height > 0, "input size must be positive, got \(width)x\(height)")
        if case .meanStd(let mean, let std) = normalization {
            precondition(mean.count == Self.channels && std.count == Self.channels, "mean/std need 3 channels")
        }
        self.width = width
        self.height = height
        self.normalization = normalization
        (scales, biases) = normalization.scalesAndBiases(channels: Self.channels)
    }

    /// The preprocessing a model file records (its input size and normalisation).
    public init(metadata: ModelMetadata) {
        precondition(metadata.inputSize.channels == Self.channels, "images have 3 channels, the model takes \(metadata.inputSize.channels)")
        self.init(width: metadata.inputSize.width, height: metadata.inputSize.height, normalization: metadata.normalization)
    }

    /// Scalars per image: 3 * height * width.
    public var sampleCount: Int { Self.channels * height * width }

    /// The (N,3,H,W) shape of a batch of `n`.
    public func shape(batch n: Int) -> [Int] { [n, Self.channels, height, width] }

    /// `image` at the input size (itself when it already is).
    public func resized(_ image: RGBImage) -> RGBImage {
        image.width == width && image.height == height ? image : image.resized(width: width, height: height)
    }

    /// One image as a (1,3,H,W) tensor.
    public func tensor(_ image: RGBImage) -> Tensor { tensor([image]) }

    /// Images as an (N,3,H,W) tensor.
    public func tensor(_ images: [RGBImage]) -> Tensor {
        Tensor(shape: shape(batch: images.count)) { out in
            for (n, image) in images.enumerated() {
                write(image, into: out.baseAddress! + n * sampleCount)
            }
        }
    }

    /// Writes one image's (3,H,W) normalised planes at `destination` (sampleCount scalars).
    public func write(_ image: RGBImage, into destination: UnsafeMutablePointer<Float>) {
        let image = resized(image)
        let plane = width * height
        image.pixels.withUnsafeBufferPointer { pixels in
            for c in 0..<Self.channels {
                let scale = scales[c], bias = biases[c]
                let out = destination + c * plane
                // Interleaved r,g,b -> planar: channel c is every third byte from c.
                for p in 0..<plane { out[p] = Float(pixels[3 * p + c]) * scale + bias }
            }
        }
    }

    /// The input value of a black pixel per channel (padding's fill).
    public var blackValues: [Float] { biases }
}
