import Foundation

/// A backbone's trunk output for every item of a gallery, at one input size: what backbone
/// heads train on (the trunk is frozen, so it is computed once per gallery and size), stored
/// as float16 in a safetensors file ("features" (N, C, h, w), "readable" (N) 1/0).
///
/// Item i of the gallery is row i; an unreadable item's row is zero and `readable[i]` false.
public struct BackboneFeatures: Sendable {
    /// (C, h, w) of one item.
    public let itemShape: [Int]
    /// count x C*h*w values, row-major.
    public let values: [Float]
    public let readable: [Bool]

    public var count: Int { readable.count }
    public var itemSize: Int { itemShape.reduce(1, *) }

    public init(itemShape: [Int], values: [Float], readable: [Bool]) {
        precondition(values.count == readable.count * itemShape.reduce(1, *), "one row of features per item")
        self.itemShape = itemShape
        self.values = values
        self.readable = readable
    }

    /// The rows of `items` as one batch (N, C, h, w).
    public func batch(_ items: [Int]) -> Tensor {
        let size = itemSize
        return Tensor(shape: [items.count] + itemShape, unsafeUninitialized: { out in
            values.withUnsafeBufferPointer { v in
                for (row, item) in items.enumerated() {
                    UnsafeMutableRawPointer(out.baseAddress! + row * size)
                        .copyMemory(from: v.baseAddress! + item * size, byteCount: size * MemoryLayout<Float>.stride)
                }
            }
        })
    }

    /// Runs `backbone.trunk` over `items` (default: all of 0..<count) in batches, each image
    /// bent first by `augmentation`'s draw for (seed, copy, item) (none: the images as they
    /// are); rows of items not run stay zero and unreadable. `progress(done, total)` after each
    /// batch; the skipped items are those whose image could not be loaded.
    public static func extract(_ backbone: any PretrainedBackbone, count: Int, items: [Int]? = nil, preprocessor: ImagePreprocessor,
                               augmentation: TrainingAugmentation = .none, seed: UInt64 = 0, copy: Int = 0,
                               batchSize: Int = 64, threads: Int = 2, load: @escaping ImageBatchLoader.ImageSource,
                               progress: (Int, Int) -> Void = { _, _ in }) -> (features: BackboneFeatures, skipped: [SkippedImage]) {
        let indices = items ?? Array(0..<count)
        let loader = ImageBatchLoader(indices: indices, batchSize: batchSize, preprocessor: preprocessor,
                                      augmentation: augmentation, shuffle: false, seed: seed, threads: threads, load: load)
        var batches = loader.epoch(copy)
        var values: [Float] = [], readable = [Bool](repeating: false, count: count)
        var itemShape: [Int] = [], done = 0
        while let batch = batches.nextBatch() {
            let trunk = backbone.trunk(batch.images)
            if itemShape.isEmpty {
                itemShape = Array(trunk.shape.dropFirst())
                values = [Float](repeating: 0, count: count * itemShape.reduce(1, *))
            }
            let size = itemShape.reduce(1, *)
            trunk.withUnsafeBufferPointer { t in
                values.withUnsafeMutableBufferPointer { v in
                    for (row, item) in batch.indices.enumerated() {
                        UnsafeMutableRawPointer(v.baseAddress! + item * size)
                            .copyMemory(from: t.baseAddress! + row * size, byteCount: size * MemoryLayout<Float>.stride)
                        readable[item] = true
                    }
                }
            }
            done += batch.count
            progress(done + batches.skippedCount, indices.count)
        }
        if itemShape.isEmpty {  // nothing readable: shape from the network's geometry
            itemShape = backbone.name.trunkShape(fineTuning: backbone.fineTunedBlocks, inputSize: preprocessor.height)
            values = [Float](repeating: 0, count: count * itemShape.reduce(1, *))
        }
        return (BackboneFeatures(itemShape: itemShape, values: values, readable: readable), batches.skipped)
    }

    // MARK: files

    /// Writes the features as float16 with `metadata`, atomically.
    public func save(to path: String, metadata: [String: String]) throws(ModelFileError) {
        let features = Tensor(shape: [count] + itemShape, scalars: values)
        let flags = Tensor(shape: [count], scalars: readable.map { $0 ? 1 : 0 })
        try SafetensorsWriter.write([.init(name: "features", tensor: features, dtype: .f16),
                                     .init(name: "readable", tensor: flags, dtype: .f16)],
                                    metadata: metadata, to: path)
    }

    /// Reads a file written by `save`; its metadata is the caller's to check.
    public static func load(_ path: String) throws(ModelFileError) -> (features: BackboneFeatures, metadata: [String: String]) {
        let file = try SafetensorsFile(path: path)
        let features = try file.tensor("features"), flags = try file.tensor("readable")
        guard features.rank == 4, flags.shape == [features.shape[0]] else {
            throw ModelFileError(path: path, .modelMismatch(problems: ["features \(features.shape) and readable \(flags.shape) do not fit"]))
        }
        return (BackboneFeatures(itemShape: Array(features.shape.dropFirst()), values: features.scalars,
                                 readable: flags.scalars.map { $0 != 0 }), file.metadata)
    }
}
