import Foundation

/// A backbone's trunk output for the items of a gallery, at one input size: what backbone
/// heads train on (the trunk is frozen, so it is computed once per gallery and size), stored
/// as float16 in a safetensors file ("features" (rows, C, h, w), "readable" (N) 1/0, and for a
/// subset "items" (rows), the item each row holds).
///
/// Item i of the gallery is row i, or, for features of a subset (an augmented copy of the
/// training items), the row of i's place among `items`; an unreadable item's row is zero and
/// `readable[i]` false, and an item outside the subset is unreadable.
public struct BackboneFeatures: Sendable {
    /// (C, h, w) of one item.
    public let itemShape: [Int]
    /// rows x C*h*w values, row-major.
    public let values: [Float]
    /// One flag per gallery item.
    public let readable: [Bool]
    /// The items the rows hold, ascending (nil: every item, row i = item i).
    public let items: [Int]?
    /// Row of each gallery item (-1: not held), for a subset.
    private let rowOfItem: [Int32]?

    public var count: Int { readable.count }
    public var itemSize: Int { itemShape.reduce(1, *) }

    /// `items` (ascending, within 0..<readable.count): the rows hold only these, in this order.
    public init(itemShape: [Int], values: [Float], readable: [Bool], items: [Int]? = nil) {
        let rows = items?.count ?? readable.count
        precondition(values.count == rows * itemShape.reduce(1, *), "one row of features per item held")
        self.itemShape = itemShape
        self.values = values
        self.items = items
        if let items {
            precondition(Self.areSubsetItems(items, of: readable.count), "a subset's items ascend within the gallery")
            var rowOf = [Int32](repeating: -1, count: readable.count)
            for (row, item) in items.enumerated() { rowOf[item] = Int32(row) }
            self.rowOfItem = rowOf
            self.readable = readable.indices.map { readable[$0] && rowOf[$0] >= 0 }
        } else {
            self.rowOfItem = nil
            self.readable = readable
        }
    }

    /// Whether `items` can be a subset's: strictly ascending, within 0..<count.
    static func areSubsetItems(_ items: [Int], of count: Int) -> Bool {
        zip(items, items.dropFirst()).allSatisfy { $0 < $1 } && items.allSatisfy { (0..<count).contains($0) }
    }

    /// Where item `item`'s row starts in `values` (it must be held).
    @inline(__always)
    public func offset(of item: Int) -> Int {
        guard let rowOfItem else { return item * itemSize }
        let row = Int(rowOfItem[item])
        precondition(row >= 0, "item \(item) is not among the features' items")
        return row * itemSize
    }

    /// The rows of `items` as one batch (N, C, h, w).
    public func batch(_ items: [Int]) -> Tensor {
        let size = itemSize
        return Tensor(shape: [items.count] + itemShape, unsafeUninitialized: { out in
            values.withUnsafeBufferPointer { v in
                for (row, item) in items.enumerated() {
                    UnsafeMutableRawPointer(out.baseAddress! + row * size)
                        .copyMemory(from: v.baseAddress! + offset(of: item), byteCount: size * MemoryLayout<Float>.stride)
                }
            }
        })
    }

    /// The same features holding only `items` (ascending; each must be held here).
    public func subset(_ items: [Int]) -> BackboneFeatures {
        BackboneFeatures(itemShape: itemShape, values: batch(items).scalars, readable: readable, items: items)
    }

    /// Runs `backbone.trunk` over `items` (default: all of 0..<count) in batches, each image
    /// bent first by `augmentation`'s draw for (seed, copy, item) (none: the images as they
    /// are); with `items` the features hold only their rows. `progress(done, total)` after each
    /// batch; the skipped items are those whose image could not be loaded (zero rows, unreadable).
    public static func extract(_ backbone: any PretrainedBackbone, count: Int, items: [Int]? = nil, preprocessor: ImagePreprocessor,
                               augmentation: TrainingAugmentation = .none, seed: UInt64 = 0, copy: Int = 0,
                               batchSize: Int = 64, threads: Int = 2, load: @escaping ImageBatchLoader.ImageSource,
                               progress: (Int, Int) -> Void = { _, _ in }) -> (features: BackboneFeatures, skipped: [SkippedImage]) {
        let subset = items.map { Array(Set($0)).sorted() }, indices = subset ?? Array(0..<count)
        var rowOf = [Int](repeating: -1, count: count)
        for (row, item) in indices.enumerated() { rowOf[item] = row }
        let loader = ImageBatchLoader(indices: indices, batchSize: batchSize, preprocessor: preprocessor,
                                      augmentation: augmentation, shuffle: false, seed: seed, threads: threads, load: load)
        var batches = loader.epoch(copy)
        var values: [Float] = [], readable = [Bool](repeating: false, count: count)
        var itemShape: [Int] = [], done = 0
        while let batch = batches.nextBatch() {
            let trunk = backbone.trunk(batch.images)
            if itemShape.isEmpty {
                itemShape = Array(trunk.shape.dropFirst())
                values = [Float](repeating: 0, count: indices.count * itemShape.reduce(1, *))
            }
            let size = itemShape.reduce(1, *)
            trunk.withUnsafeBufferPointer { t in
                values.withUnsafeMutableBufferPointer { v in
                    for (row, item) in batch.indices.enumerated() {
                        UnsafeMutableRawPointer(v.baseAddress! + rowOf[item] * size)
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
            values = [Float](repeating: 0, count: indices.count * itemShape.reduce(1, *))
        }
        return (BackboneFeatures(itemShape: itemShape, values: values, readable: readable, items: subset), batches.skipped)
    }

    // MARK: files

    /// Writes the features as float16 with `metadata`, atomically.
    public func save(to path: String, metadata: [String: String]) throws(ModelFileError) {
        let features = Tensor(shape: [items?.count ?? count] + itemShape, scalars: values)
        let flags = Tensor(shape: [count], scalars: readable.map { $0 ? 1 : 0 })
        // Item numbers as float32: exact up to 2^24 items, where float16 stops at 2,048.
        let held = items.map { [SafetensorsWriter.Item(name: "items", tensor: Tensor(shape: [$0.count], scalars: $0.map(Float.init)),
                                                        dtype: .f32)] } ?? []
        try SafetensorsWriter.write([.init(name: "features", tensor: features, dtype: .f16),
                                     .init(name: "readable", tensor: flags, dtype: .f16)] + held,
                                    metadata: metadata, to: path)
    }

    /// Reads a file written by `save`; its metadata is the caller's to check.
    public static func load(_ path: String) throws(ModelFileError) -> (features: BackboneFeatures, metadata: [String: String]) {
        let file = try SafetensorsFile(path: path)
        let features = try file.tensor("features"), flags = try file.tensor("readable")
        let numbers = try file.names.contains("items") ? file.tensor("items").scalars : nil
        // Checked before conversion: Int(_:) of a NaN or huge float traps.
        if let numbers, !numbers.allSatisfy({ $0.isFinite && $0 >= 0 && $0 < 16_777_216 && $0.rounded() == $0 }) {
            throw ModelFileError(path: path, .modelMismatch(problems: ["its items are not gallery item numbers"]))
        }
        let items = numbers.map { $0.map { Int($0) } }
        guard features.rank == 4, flags.rank == 1, features.shape[0] == items?.count ?? flags.shape[0] else {
            throw ModelFileError(path: path, .modelMismatch(problems: ["features \(features.shape) and readable \(flags.shape) do not fit"]))
        }
        if let items, !areSubsetItems(items, of: flags.shape[0]) {
            throw ModelFileError(path: path, .modelMismatch(problems: ["its items are not ascending gallery items"]))
        }
        return (BackboneFeatures(itemShape: Array(features.shape.dropFirst()), values: features.scalars,
                                 readable: flags.scalars.map { $0 != 0 }, items: items), file.metadata)
    }
}
