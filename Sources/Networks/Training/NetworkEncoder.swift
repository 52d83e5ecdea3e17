import Foundation

/// Runs a hashing network over gallery items in evaluation mode and collects its relaxed codes
/// (tanh or sigmoid outputs; binarising them is the caller's, since packed codes are
/// Retrieval's). Batches are loaded on `threads` threads and the network splits each batch
/// over the cores.
public enum NetworkEncoder {
    public struct Result: Sendable {
        /// (encoded items) x bits, row-major, in `indices` order.
        public var values: [Float]
        /// The items encoded: the input indices less the skipped ones.
        public var indices: [Int]
        public var skipped: [SkippedImage]
        public var seconds: Double

        public var imagesPerSecond: Double { seconds > 0 ? Double(indices.count) / seconds : 0 }
    }

    /// `progress(done, total)` after every batch.
    public static func encode(_ network: HashingNetwork, indices: [Int], preprocessor: ImagePreprocessor,
                              batchSize: Int = 128, threads: Int = 2,
                              load: @escaping ImageBatchLoader.ImageSource,
                              progress: (Int, Int) -> Void = { _, _ in }) -> Result {
        let loader = ImageBatchLoader(indices: indices, batchSize: batchSize, preprocessor: preprocessor,
                                      augmentation: .none, shuffle: false, threads: threads, load: load)
        var model = network
        var batches = loader.epoch(0)
        var values: [Float] = []
        values.reserveCapacity(indices.count * network.bits)
        var encoded: [Int] = []
        encoded.reserveCapacity(indices.count)
        let start = Date()
        // A non-strict loader never throws.
        while let batch = try? batches.next() {
            let output = model.forward(batch.images, training: false).output
            values += network.split(output).codes.scalars
            encoded += batch.indices
            progress(encoded.count + batches.skippedCount, indices.count)
        }
        return Result(values: values, indices: encoded, skipped: batches.skipped, seconds: Date().timeIntervalSince(start))
    }
}
