/// Batches of a backbone's cached trunk features over training items, in the same seeded
/// order per epoch as an `ImageBatchLoader` with the same items and seed. Items whose image
/// was unreadable when the features were computed are skipped and counted.
public struct FeatureBatchLoader: TrainingBatchSource {
    public let indices: [Int]
    public let batchSize: Int
    public let seed: UInt64
    public let features: BackboneFeatures

    public init(indices: [Int], batchSize: Int, features: BackboneFeatures, seed: UInt64 = 0) {
        precondition(batchSize > 0, "batch size must be positive")
        precondition(indices.allSatisfy { $0 >= 0 && $0 < features.count }, "an item beyond the cached features")
        self.indices = indices
        self.batchSize = batchSize
        self.features = features
        self.seed = seed
    }

    public var batchesPerEpoch: Int { (indices.count + batchSize - 1) / batchSize }

    public func order(epoch: Int) -> [Int] { ImageBatchLoader.shuffled(indices, seed: seed, epoch: epoch) }

    public func batches(visiting items: [Int], epoch: Int) -> any TrainingBatches {
        Pass(features: features, batchSize: batchSize, items: items)
    }

    struct Pass: TrainingBatches {
        let features: BackboneFeatures
        let batchSize: Int
        let items: [Int]
        var cursor = 0
        var skippedCount = 0

        mutating func nextBatch() -> ImageBatch? {
            var chosen: [Int] = []
            while chosen.count < batchSize && cursor < items.count {
                let item = items[cursor]
                cursor += 1
                if features.readable[item] { chosen.append(item) } else { skippedCount += 1 }
            }
            return chosen.isEmpty ? nil : ImageBatch(images: features.batch(chosen), indices: chosen)
        }
    }
}
