import Dispatch
import Foundation
import Basics

/// Batches of training (or encoding) input over a list of item indices, in a seeded order
/// per epoch. Images come from a closure, so Networks knows no gallery format; they are
/// loaded, resized and augmented on `threads` threads.
///
///     let loader = ImageBatchLoader(indices: split.train, batchSize: 128, preprocessor: p,
///                                   augmentation: .cifar, seed: 7) { try gallery.image(at: $0) }
///     var batches = loader.epoch(e)
///     while let batch = try batches.next() { ... }
///     batches.skipped  // unreadable items this epoch
///
/// An unreadable item is skipped and recorded, and the batch is topped up from the items that
/// follow, so every batch but the last has `batchSize` samples; with `strict`, it throws.
public struct ImageBatchLoader: Sendable {
    public typealias ImageSource = @Sendable (Int) throws -> RGBImage

    public let indices: [Int]
    public let batchSize: Int
    public let preprocessor: ImagePreprocessor
    public let augmentation: TrainingAugmentation
    /// Shuffle each epoch (training); false keeps `indices` order (encoding).
    public let shuffle: Bool
    /// Drop a last batch smaller than `batchSize` (false: deliver it).
    public let dropLast: Bool
    /// Throw `ImageLoadingError` on the first unreadable item instead of skipping it.
    public let strict: Bool
    public let seed: UInt64
    public let threads: Int
    let load: ImageSource

    public init(indices: [Int], batchSize: Int, preprocessor: ImagePreprocessor,
                augmentation: TrainingAugmentation = .none, shuffle: Bool = true, dropLast: Bool = false,
                strict: Bool = false, seed: UInt64 = 0, threads: Int = 2, load: @escaping ImageSource) {
        precondition(batchSize > 0, "batch size must be positive")
        precondition(threads > 0, "threads must be positive")
        self.indices = indices
        self.batchSize = batchSize
        self.preprocessor = preprocessor
        self.augmentation = augmentation
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.strict = strict
        self.seed = seed
        self.threads = threads
        self.load = load
    }

    /// Batches an epoch yields when every item is readable.
    public var batchesPerEpoch: Int {
        dropLast ? indices.count / batchSize : (indices.count + batchSize - 1) / batchSize
    }

    /// The order items are visited in `epoch`: `indices` shuffled (Fisher-Yates) by a generator
    /// seeded from (seed, epoch), or `indices` as given without `shuffle`.
    public func order(epoch: Int) -> [Int] {
        shuffle ? Self.shuffled(indices, seed: seed, epoch: epoch) : indices
    }

    /// `indices` shuffled (Fisher-Yates) by a generator seeded from (seed, epoch).
    static func shuffled(_ indices: [Int], seed: UInt64, epoch: Int) -> [Int] {
        var order = indices
        var generator = SeededGenerator(seed: SeedMixing.mix(seed, SeedMixing.shuffleStream, UInt64(bitPattern: Int64(epoch))))
        generator.shuffle(&order)
        return order
    }

    /// The batches of `epoch`, as an iterator (its `next` throws under `strict`).
    public func epoch(_ epoch: Int) -> Epoch { Epoch(loader: self, epoch: epoch) }

    /// One pass over the items.
    public struct Epoch: Sendable {
        public let loader: ImageBatchLoader
        public let epoch: Int
        /// The visiting order.
        public let order: [Int]
        /// Unreadable items met so far, in visiting order.
        public private(set) var skipped: [SkippedImage] = []
        /// Readable items left out because they formed a short last batch under `dropLast`.
        public private(set) var droppedCount = 0
        private var cursor = 0

        init(loader: ImageBatchLoader, epoch: Int) {
            self.loader = loader
            self.epoch = epoch
            order = loader.order(epoch: epoch)
        }

        public var skippedCount: Int { skipped.count }

        /// The next batch, or nil when the epoch is over.
        public mutating func next() throws(ImageLoadingError) -> ImageBatch? {
            var ready: [(index: Int, image: RGBImage, draw: TrainingAugmentation.Draw)] = []
            while ready.count < loader.batchSize && cursor < order.count {
                let take = min(loader.batchSize - ready.count, order.count - cursor)
                let chunk = Array(order[cursor..<cursor + take])
                cursor += take
                for (index, result) in zip(chunk, loader.prepare(chunk, epoch: epoch)) {
                    switch result {
                    case .success(let prepared): ready.append((index, prepared.image, prepared.draw))
                    case .failure(let failure):
                        if loader.strict { throw failure }
                        skipped.append(SkippedImage(index: index, message: failure.message))
                    }
                }
            }
            if ready.isEmpty { return nil }
            if ready.count < loader.batchSize && loader.dropLast {
                droppedCount += ready.count
                return nil
            }
            return loader.assemble(ready)
        }
    }

    // MARK: work

    struct Prepared: Sendable {
        let image: RGBImage
        let draw: TrainingAugmentation.Draw
    }

    /// Loads, resizes and image-augments `chunk` (item indices) on up to `threads` threads.
    /// Results are in `chunk` order.
    func prepare(_ chunk: [Int], epoch: Int) -> [Result<Prepared, ImageLoadingError>] {
        let slots = ConcurrentSlots<Result<Prepared, ImageLoadingError>>(count: chunk.count)
        let workers = max(1, min(threads, chunk.count))
        let augmentation = augmentation, preprocessor = preprocessor, seed = seed, load = load
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for position in Parallel.range(worker, of: workers, count: chunk.count) {
                let index = chunk[position]
                let result: Result<Prepared, ImageLoadingError>
                do {
                    let image = preprocessor.resized(try load(index))
                    let draw = augmentation.isIdentity ? TrainingAugmentation.Draw()
                        : augmentation.draw(seed: seed, epoch: epoch, item: index)
                    result = .success(Prepared(image: augmentation.applyToImage(image, draw), draw: draw))
                } catch {
                    result = .failure(ImageLoadingError(index: index, message: Self.oneLine(error)))
                }
                slots.store(result, at: position)
            }
        }
        return slots.values
    }

    /// The batch tensor: normalised planes, then the tensor-space augmentation, per sample on
    /// up to `threads` threads (each writes its own samples).
    func assemble(_ ready: [(index: Int, image: RGBImage, draw: TrainingAugmentation.Draw)]) -> ImageBatch {
        let preprocessor = preprocessor, augmentation = augmentation
        let sampleCount = preprocessor.sampleCount, plane = preprocessor.width * preprocessor.height
        let fill = preprocessor.blackValues
        let samples = ready.map { ($0.image, $0.draw) }
        var tensor = Tensor.zeros(preprocessor.shape(batch: ready.count))
        let workers = max(1, min(threads, ready.count))
        tensor.withSharedMutable { out in
            Parallel.forEachRange(count: samples.count, workers: workers) { _, range in
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: plane)
                defer { scratch.deallocate() }
                for n in range {
                    let destination = out.base + n * sampleCount
                    preprocessor.write(samples[n].0, into: destination)
                    augmentation.applyToSample(destination, channels: ImagePreprocessor.channels,
                                               height: preprocessor.height, width: preprocessor.width,
                                               fill: fill, samples[n].1, scratch: scratch)
                }
            }
        }
        return ImageBatch(images: tensor, indices: ready.map(\.index))
    }

    /// An error as one line: a LocalizedError's description (which names the file), else its text.
    static func oneLine(_ error: any Error) -> String {
        let text = (error as? any LocalizedError)?.errorDescription ?? "\(error)"
        return text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
