import Basics

/// Batches of a backbone's cached trunk features over training items, in the same seeded
/// order per epoch as an `ImageBatchLoader` with the same items and seed. With augmented copies
/// each (epoch, item) takes one of the variants (the plain features or a copy), drawn from the
/// seed. Items whose image was unreadable when the features were computed are skipped and counted.
public struct FeatureBatchLoader: TrainingBatchSource {
    public let indices: [Int]
    public let batchSize: Int
    public let seed: UInt64
    /// The plain features first, then any augmented copies (same shapes; a copy may hold only
    /// the training items).
    public let variants: [BackboneFeatures]

    public init(indices: [Int], batchSize: Int, features: BackboneFeatures, augmentedCopies: [BackboneFeatures] = [],
                seed: UInt64 = 0) {
        precondition(batchSize > 0, "batch size must be positive")
        precondition(indices.allSatisfy { $0 >= 0 && $0 < features.count }, "an item beyond the cached features")
        precondition(augmentedCopies.allSatisfy { copy in
            copy.count == features.count && copy.itemShape == features.itemShape && indices.allSatisfy { copy.readable[$0] || !features.readable[$0] }
        }, "augmented copies must hold every training item the features hold")
        self.indices = indices
        self.batchSize = batchSize
        self.variants = [features] + augmentedCopies
        self.seed = seed
    }

    public var features: BackboneFeatures { variants[0] }

    /// Which variant item `item` takes in `epoch`.
    public func variant(epoch: Int, item: Int) -> Int {
        guard variants.count > 1 else { return 0 }
        var generator = SeededGenerator(seed: SeedMixing.mix(seed, SeedMixing.variantStream, UInt64(bitPattern: Int64(epoch)),
                                                              UInt64(bitPattern: Int64(item))))
        return generator.nextInt(below: variants.count)
    }

    public var batchesPerEpoch: Int { (indices.count + batchSize - 1) / batchSize }

    public func order(epoch: Int) -> [Int] { ImageBatchLoader.shuffled(indices, seed: seed, epoch: epoch) }

    public func batches(visiting items: [Int], epoch: Int) -> any TrainingBatches {
        Pass(loader: self, epoch: epoch, items: items)
    }

    struct Pass: TrainingBatches {
        let loader: FeatureBatchLoader
        let epoch: Int
        let items: [Int]
        var cursor = 0
        var skippedCount = 0

        mutating func nextBatch() -> ImageBatch? {
            var chosen: [Int] = []
            while chosen.count < loader.batchSize && cursor < items.count {
                let item = items[cursor]
                cursor += 1
                if loader.features.readable[item] { chosen.append(item) } else { skippedCount += 1 }
            }
            guard !chosen.isEmpty else { return nil }
            let loader = loader, epoch = epoch, size = loader.features.itemSize
            let images = Tensor(shape: [chosen.count] + loader.features.itemShape, unsafeUninitialized: { out in
                for (row, item) in chosen.enumerated() {
                    let variant = loader.variants[loader.variant(epoch: epoch, item: item)]
                    variant.values.withUnsafeBufferPointer { v in
                        UnsafeMutableRawPointer(out.baseAddress! + row * size)
                            .copyMemory(from: v.baseAddress! + variant.offset(of: item), byteCount: size * MemoryLayout<Float>.stride)
                    }
                }
            })
            return ImageBatch(images: images, indices: chosen)
        }
    }
}
