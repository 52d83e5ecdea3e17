/// Where a trainer's batches come from: images through an `ImageBatchLoader`, or a backbone's
/// cached trunk features through a `FeatureBatchLoader`. Both visit the training items in the
/// same seeded order per epoch, so checkpoints and resuming work alike.
public protocol TrainingBatchSource: Sendable {
    /// The training items (gallery indices).
    var indices: [Int] { get }
    var batchSize: Int { get }
    /// Batches per epoch when every item is usable.
    var batchesPerEpoch: Int { get }
    /// The order the items are visited in `epoch`.
    func order(epoch: Int) -> [Int]
    /// Batches over `items` (already in visiting order) with `epoch`'s random draws.
    func batches(visiting items: [Int], epoch: Int) -> any TrainingBatches
}

/// One pass of batches; unusable items are skipped and counted.
public protocol TrainingBatches {
    mutating func nextBatch() -> ImageBatch?
    var skippedCount: Int { get }
}

extension ImageBatchLoader: TrainingBatchSource {
    public func batches(visiting items: [Int], epoch: Int) -> any TrainingBatches {
        let rest = ImageBatchLoader(indices: items, batchSize: batchSize, preprocessor: preprocessor, augmentation: augmentation,
                                    shuffle: false, seed: seed, threads: threads, load: load)
        return rest.epoch(epoch)
    }
}

extension ImageBatchLoader.Epoch: TrainingBatches {
    /// The next batch of a non-strict loader (a strict one's error ends the pass).
    public mutating func nextBatch() -> ImageBatch? { try? next() }
}
