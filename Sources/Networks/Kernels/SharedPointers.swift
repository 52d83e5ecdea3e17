/// A pointer handed to concurrent workers. Each worker writes a disjoint part (its images, its
/// channels, or its own scratch slice), which is what makes sharing it sound.
struct SharedMutablePointer: @unchecked Sendable {
    let base: UnsafeMutablePointer<Float>
    init(_ buffer: UnsafeMutableBufferPointer<Float>) {
        base = buffer.baseAddress ?? emptyBufferStandIn
    }
}

/// A read-only pointer handed to concurrent workers.
struct SharedPointer: @unchecked Sendable {
    let base: UnsafePointer<Float>
    init(_ buffer: UnsafeBufferPointer<Float>) {
        base = buffer.baseAddress ?? UnsafePointer(emptyBufferStandIn)
    }
}

/// Where an empty buffer without a base address points: workers never read or write through it
/// (they touch `count` elements, and count is 0), it only spares every kernel an unwrap.
nonisolated(unsafe) private let emptyBufferStandIn = UnsafeMutablePointer<Float>.allocate(capacity: 1)

extension Tensor {
    /// Read-only pointers to the scalars of several tensors at once (valid inside `body` only),
    /// for kernels that hand them to concurrent workers.
    static func withShared<R>(_ tensors: [Tensor], _ body: ([SharedPointer]) -> R) -> R {
        func nest(_ index: Int, _ pointers: [SharedPointer]) -> R {
            guard index < tensors.count else { return body(pointers) }
            return tensors[index].withUnsafeBufferPointer { nest(index + 1, pointers + [SharedPointer($0)]) }
        }
        return nest(0, [])
    }

    /// A mutable pointer to the scalars (valid inside `body` only).
    mutating func withSharedMutable<R>(_ body: (SharedMutablePointer) -> R) -> R {
        withUnsafeMutableBufferPointer { body(SharedMutablePointer($0)) }
    }
}
