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

    /// Encodes `indices` from a backbone's cached trunk features with a head network (one
    /// without its `backbone` attached); items unreadable when the features were made are skipped.
    public static func encode(_ network: HashingNetwork, features: BackboneFeatures, indices: [Int], batchSize: Int = 256,
                              progress: (Int, Int) -> Void = { _, _ in }) -> Result {
        precondition(network.backbone == nil, "a head reads cached trunk features, not images")
        var model = network
        var values: [Float] = [], encoded: [Int] = [], skipped: [SkippedImage] = []
        values.reserveCapacity(indices.count * network.bits)
        let start = Date()
        var done = 0
        while done < indices.count {
            let chunk = indices[done..<min(done + batchSize, indices.count)]
            done += chunk.count
            let readable = chunk.filter { features.readable[$0] }
            for item in chunk where !features.readable[item] {
                skipped.append(SkippedImage(index: item, message: "unreadable when the backbone features were computed"))
            }
            if !readable.isEmpty {
                let output = model.forward(features.batch(readable), training: false).output
                values += network.split(output).codes.scalars
                encoded += readable
            }
            progress(done, indices.count)
        }
        return Result(values: values, indices: encoded, skipped: skipped, seconds: Date().timeIntervalSince(start))
    }
}
