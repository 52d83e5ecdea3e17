/// A dense Float32 tensor: a shape and its scalars in one contiguous row-major array.
///
/// Images are NCHW, feature vectors N x D. `Tensor` is a value type: copies share storage until
/// one of them is written (the array's copy-on-write), so a layer can be snapshotted cheaply and
/// a forward pass can never change a tensor its caller still holds.
public struct Tensor: Sendable, Equatable, CustomStringConvertible {
    /// The extent of each dimension, outermost first.
    public private(set) var shape: [Int]
    /// The values, row-major (the last dimension varies fastest). `scalars.count == count` always.
    public private(set) var scalars: [Float]

    /// A tensor of `shape` holding `scalars` (row-major).
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(Tensor.elementCount(shape) == scalars.count,
                     "shape \(shape) needs \(Tensor.elementCount(shape)) scalars, got \(scalars.count)")
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor of `shape` with every element `value`.
    public init(shape: [Int], repeating value: Float) {
        self.init(shape: shape, scalars: [Float](repeating: value, count: Tensor.elementCount(shape)))
    }

    /// A tensor of `shape` whose scalars are written by `initializer` (all of them, exactly once).
    public init(shape: [Int], unsafeUninitialized initializer: (UnsafeMutableBufferPointer<Float>) -> Void) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        let count = Tensor.elementCount(shape)
        self.shape = shape
        self.scalars = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            initializer(buffer)
            initialized = count
        }
    }

    /// Zeros of `shape`.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 0) }

    /// Zeros of the same shape as `other`.
    public static func zeros(like other: Tensor) -> Tensor { Tensor(shape: other.shape, repeating: 0) }

    static func elementCount(_ shape: [Int]) -> Int { shape.reduce(1, *) }

    // MARK: shape

    /// The number of elements.
    public var count: Int { scalars.count }
    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// The same scalars seen with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> Tensor { Tensor(shape: newShape, scalars: scalars) }

    /// Dimensions (N, C, H, W) of a rank-4 tensor.
    public var nchw: (n: Int, c: Int, h: Int, w: Int) {
        precondition(rank == 4, "expected an (N,C,H,W) tensor, got shape \(shape)")
        return (shape[0], shape[1], shape[2], shape[3])
    }

    // MARK: element access (convenience; kernels use the buffer pointers)

    /// The element at a flat (row-major) index.
    public subscript(flat index: Int) -> Float {
        get { scalars[index] }
        set { scalars[index] = newValue }
    }

    /// The element at a multi-dimensional index.
    public subscript(_ indices: Int...) -> Float {
        get { scalars[flatIndex(indices)] }
        set { scalars[flatIndex(indices)] = newValue }
    }

    private func flatIndex(_ indices: [Int]) -> Int {
        precondition(indices.count == rank, "index \(indices) for shape \(shape)")
        var flat = 0
        for (index, extent) in zip(indices, shape) {
            precondition(index >= 0 && index < extent, "index \(indices) out of range for shape \(shape)")
            flat = flat * extent + index
        }
        return flat
    }

    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try scalars.withUnsafeBufferPointer(body)
    }

    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        let count = scalars.count
        return try scalars.withUnsafeMutableBufferPointer { buffer in
            let result = try body(&buffer)
            precondition(buffer.count == count, "the buffer must not be replaced")
            return result
        }
    }

    public var description: String {
        let preview = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(preview)\(count > 8 ? ", ..." : "")])"
    }
}
