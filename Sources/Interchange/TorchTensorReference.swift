/// A storage as a checkpoint's pickle names it through a persistent id:
/// `('storage', torch.FloatStorage, key, location, numel[, view_metadata])`. The zip format
/// has five items; the legacy format six, the last None or `(view_key, offset, size)` for the
/// storage views of very old files.
struct TorchStorageID: Equatable {
    let key: String
    let className: String
    let dtype: TorchDType?
    /// Legacy storage views: the view's elements start `offset` into the root and number `size`.
    let viewOffset: Int
    let viewSize: Int?

    init?(_ value: PickleValue) {
        guard case .persistent(let id) = value, let items = id.elements, items.count >= 5,
              items[0].text == "storage", let global = items[1].global,
              let key = items[2].text ?? items[2].int.map(String.init) else { return nil }
        self.key = key
        className = global.name
        dtype = TorchDType(storageClass: global.name)
        if items.count >= 6, let view = items[5].elements, view.count == 3,
           let offset = view[1].int, let size = view[2].int {
            viewOffset = offset
            viewSize = size
        } else {
            viewOffset = 0
            viewSize = nil
        }
    }
}

/// A tensor as the pickle describes it: `torch._utils._rebuild_tensor_v2(storage, offset,
/// size, stride, requires_grad, hooks)` (also `_rebuild_tensor`, `_rebuild_tensor_v3`, and any
/// of these wrapped in `_rebuild_parameter` for an nn.Parameter). Reading its values checks
/// every element it can reach against the storage first.
struct TorchTensorReference {
    let storage: TorchStorageID
    let offset: Int
    let shape: [Int]
    let strides: [Int]

    /// Beyond this many elements (4 GiB of Float32) a tensor is refused rather than allocated:
    /// zero strides let a tiny storage declare an enormous tensor.
    static let maximumElements = 1 << 30

    private static let rebuildTensor: Set<String> = ["_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_tensor_v3"]
    private static let rebuildParameter: Set<String> = ["_rebuild_parameter", "_rebuild_parameter_with_state"]

    /// Whether `value` is a tensor or parameter rebuild call (not yet whether it is valid).
    static func isTensor(_ value: PickleValue) -> Bool {
        guard let object = value.object, let global = object.global, global.module == "torch._utils" else { return false }
        if rebuildTensor.contains(global.name) { return true }
        if rebuildParameter.contains(global.name), let data = object.args.first { return isTensor(data) }
        return false
    }

    /// The reference `value` describes; `name` and `path` name it in errors.
    init(_ value: PickleValue, name: String, path: String) throws(TorchCheckpointError) {
        func bad(_ detail: String) -> TorchCheckpointError { TorchCheckpointError(path: path, .badTensor(tensor: name, detail: detail)) }
        var call = value  // an nn.Parameter wraps the tensor's own rebuild call
        while let object = call.object, object.global?.module == "torch._utils",
              Self.rebuildParameter.contains(object.global?.name ?? ""), let data = object.args.first { call = data }
        guard let object = call.object, let global = object.global, global.module == "torch._utils" else {
            throw bad("is a \(call.kindDescription), not a tensor")
        }
        let args = object.args
        guard Self.rebuildTensor.contains(global.name), args.count >= 4 else { throw bad("torch._utils.\(global.name) with \(args.count) arguments is not a tensor") }
        guard let storage = TorchStorageID(args[0]) else { throw bad("its storage is a \(args[0].kindDescription), not a storage id") }
        guard let offset = args[1].int, let shape = args[2].intList, let strides = args[3].intList else {
            throw bad("its offset, sizes and strides are not integers")
        }
        guard shape.count == strides.count else { throw bad("\(shape.count) sizes but \(strides.count) strides") }
        guard offset >= 0, shape.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 }) else {
            throw bad("negative offset, size or stride (offset \(offset), sizes \(shape), strides \(strides))")
        }
        var count = 1
        for size in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow, product <= Self.maximumElements else { throw bad("sizes \(shape) hold more than \(Self.maximumElements) elements") }
            count = product
        }
        self.storage = storage
        self.offset = offset + storage.viewOffset
        self.shape = shape
        self.strides = strides
    }

    var count: Int { shape.reduce(1, *) }

    /// The tensor's elements as a contiguous row-major Float32 array. `bytes` is the whole
    /// (root) storage, in elements of `dtype.size` bytes.
    func values(dtype: TorchDType, bytes: UnsafeRawBufferPointer, bigEndian: Bool,
                name: String, path: String) throws(TorchCheckpointError) -> [Float] {
        let available = min(bytes.count / dtype.size, storage.viewSize.map { storage.viewOffset + $0 } ?? Int.max)
        let count = count
        if count > 0 {
            // The furthest element: offset + sum((size - 1) * stride); strides are non-negative.
            var last = offset
            for (size, stride) in zip(shape, strides) {
                let (step, overflow1) = (size - 1).multipliedReportingOverflow(by: stride)
                let (sum, overflow2) = last.addingReportingOverflow(step)
                guard !overflow1, !overflow2 else { throw TorchCheckpointError(path: path, .outOfBounds(tensor: name, detail: "strides \(strides) overflow")) }
                last = sum
            }
            guard last < available else {
                throw TorchCheckpointError(path: path, .outOfBounds(tensor: name, detail:
                    "offset \(offset), sizes \(shape), strides \(strides) reach element \(last), the storage '\(storage.key)' holds \(available)"))
            }
        }
        let rank = shape.count
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            // An odometer over the indices, moving the storage position by the strides.
            var index = [Int](repeating: 0, count: rank)
            var position = offset
            dtype.gather(bytes, bigEndian: bigEndian, count: count, into: out) { _ in
                let here = position
                var d = rank - 1
                while d >= 0 {
                    index[d] += 1
                    position += strides[d]
                    if index[d] < shape[d] { break }
                    position -= strides[d] * shape[d]
                    index[d] = 0
                    d -= 1
                }
                return here
            }
            initialized = count
        }
    }
}
