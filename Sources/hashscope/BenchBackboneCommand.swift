import Services
import ArgumentParser
import Foundation
import Networks
import Basics
import Render

/// `hashscope bench backbone`: the speed of an EfficientNet-Lite's forward pass to pooled features
/// (what hashing encodes) at one input size, batch size and thread count
/// (benchmarks/vs-pytorch-backbone runs it beside PyTorch on the same weights).
struct BenchBackboneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backbone",
        abstract: "Time an EfficientNet-Lite's forward pass to pooled features at a size and batch.",
        discussion: """
            Loads the imported weights of --model (efficientnet-lite0 unless told otherwise; \
            scripts/fetch-backbone [NAME]; --weights for another file), draws a fixed random normalised input (batch, 3, size, size) \
            (pixels uniform in 0...255 from --seed, scaled as (x - 127) / 128), then times the \
            forward pass to the pooled features: stem, the MBConv blocks (16 in Lite0, 21 in \
            Lite1 and Lite2), head conv 1280 + \
            ReLU6 and global average pooling, giving (batch, 1280); the classifier is not run. \
            --warmup runs (3) are untimed, then --iterations (10) are timed and the median is \
            reported; --batch 1 gives single-image latency. forward_gflop: 2 x the \
            multiply-adds of the convolutions of one forward pass at this batch. \
            --save-features FILE also writes a safetensors file with the input ("input") and its \
            pooled features ("pooled") of one run, for a comparison with another implementation. \
            JSON keys: model, size, batch, threads, iterations, warmup, feature_map, \
            ms_per_batch, ms_per_image, images_per_second, min_ms_per_batch, max_ms_per_batch, \
            forward_gflop, gflops. Exit status: 0 ok, 2 missing or bad weights, or an unwritable \
            --save-features file.
            """)

    @Option(help: ArgumentHelp("The backbone (\(ClassifyCommand.models.joined(separator: ", "))).", valueName: "name"))
    var model: String = "efficientnet-lite0"

    @Option(help: ArgumentHelp("Input height and width in pixels.", valueName: "pixels"))
    var size = 224

    @Option(help: "Images per batch (1 gives single-image latency).")
    var batch = 64

    @Option(help: "Worker threads.")
    var threads = 2

    @Option(help: "Timed repetitions.")
    var iterations = 10

    @Option(help: "Untimed runs first.")
    var warmup = 3

    @Option(help: ArgumentHelp("The imported weights (default: .cache/backbones/NAME.safetensors).", valueName: "file"))
    var weights: String?

    @Option(help: "Seed of the random input.")
    var seed: UInt64 = 0

    @Option(help: ArgumentHelp("Also write the input and its pooled features (safetensors: input, pooled).", valueName: "file"))
    var saveFeatures: String?

    @Flag(help: "Print JSON.")
    var json = false

    /// --model, checked by `validate()`.
    var variant: EfficientNetLiteConfig.Variant { EfficientNetLiteConfig.Variant(rawValue: model) ?? .lite0 }

    func validate() throws {
        guard EfficientNetLiteConfig.Variant(rawValue: model) != nil else {
            throw ValidationError("unknown --model \(model) (known: \(ClassifyCommand.models.joined(separator: ", ")))")
        }
        guard (32...1024).contains(size) else { throw ValidationError("--size must be in 32...1024, got \(size)") }
        guard (1...1024).contains(batch) else { throw ValidationError("--batch must be in 1...1024, got \(batch)") }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be in 1...256, got \(threads)") }
        guard (1...10_000).contains(iterations) else { throw ValidationError("--iterations must be in 1...10000, got \(iterations)") }
        guard (0...1000).contains(warmup) else { throw ValidationError("--warmup must be in 0...1000, got \(warmup)") }
    }

    func run() throws {
        MemoryTuning.keepFreedMemoryForReuse()
        // Read by the kernels on first use, so before any network work.
        Parallel.configure(workers: threads)
        let network: EfficientNetLite
        network = try BackboneWeights.openEfficientNet(variant, path: try weightsPath())
        let input = Self.input(batch: batch, size: size, seed: seed)

        var times: [Double] = []
        var last: Tensor?
        for i in 0..<(warmup + iterations) {
            let start = DispatchTime.now().uptimeNanoseconds
            let pooled = network.pooled(network.features(input))
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            precondition(pooled.shape == [batch, EfficientNetLiteConfig.headChannels], "unexpected pooled shape \(pooled.shape)")
            if i >= warmup { times.append(elapsed) }
            if i == 0 { last = pooled }
        }
        if let saveFeatures, let last {
            try SafetensorsWriter.write([.init(name: "input", tensor: input), .init(name: "pooled", tensor: last)],
                                        metadata: ["source": "hashscope bench backbone", "size": String(size), "seed": String(seed)],
                                        to: saveFeatures)
        }

        let ms = BenchNetworkCommand.median(times)
        let side = Self.featureSide(size)
        let gflop = 2 * Double(Self.forwardMultiplyAdds(network.config, size: size)) * Double(batch) / 1e9
        if json {
            print(BenchBackboneJSON(model: model, size: size, batch: batch, threads: threads, iterations: iterations,
                                    warmup: warmup, feature_map: [EfficientNetLiteConfig.headChannels, side, side],
                                    ms_per_batch: ms, ms_per_image: ms / Double(batch), images_per_second: Double(batch) / (ms / 1000),
                                    min_ms_per_batch: times.min() ?? ms, max_ms_per_batch: times.max() ?? ms,
                                    forward_gflop: gflop, gflops: gflop / (ms / 1000)).jsonText)
        } else {
            print(String(format: "%@ to pooled features, %dx%d, batch %d, %d threads, median of %d after %d warm-up:",
                         model, size, size, batch, threads, iterations, warmup))
            print(String(format: "  %.2f ms/batch, %.3f ms/image, %.1f images/s, %.1f GFLOP/s (%.3f GFLOP per batch)",
                         ms, ms / Double(batch), Double(batch) / (ms / 1000), gflop / (ms / 1000), gflop))
        }
    }

    /// --weights, or the default file under the first repository root that has it.
    func weightsPath() throws -> String {
        try BackboneWeights.locate(variant.backboneName, explicit: weights, roots: EmbeddedAssets.repositoryRoots)
    }

    /// (batch, 3, size, size): pixels uniform in [0, 256) scaled as (x - 127) / 128.
    static func input(batch: Int, size: Int, seed: UInt64) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        return Tensor.randomUniform([batch, 3, size, size], low: -127 / 128, high: 129 / 128, generator: &generator)
    }

    /// The side of the feature map: five stride-2 stages with TF 'same' padding, ceil each time.
    static func featureSide(_ size: Int) -> Int {
        var side = size
        for _ in 0..<5 { side = (side + 1) / 2 }
        return side
    }

    /// Multiply-adds of one image's forward pass to the head's feature map: the convolutions
    /// only (stem, expand, depthwise, project, head); batch norm is folded, activations,
    /// skips and pooling are not counted.
    static func forwardMultiplyAdds(_ config: EfficientNetLiteConfig, size: Int) -> Int {
        var side = (size + 1) / 2
        var total = side * side * EfficientNetLiteConfig.stemChannels * 3 * 9
        for b in config.blocks {
            if b.hasExpansion { total += side * side * b.inChannels * b.hiddenChannels }
            if b.stride == 2 { side = (side + 1) / 2 }
            total += side * side * b.hiddenChannels * b.kernel * b.kernel
            total += side * side * b.hiddenChannels * b.outChannels
        }
        total += side * side * config.blocks.last!.outChannels * EfficientNetLiteConfig.headChannels
        return total
    }
}
