import Dispatch
import Foundation

/// Splitting work over the cores: contiguous ranges of a batch (or of channels), one per worker,
/// run with DispatchQueue.concurrentPerform.
enum Parallel {
    /// Worker threads: one per core (2 on the reference machine), at most 16; the environment
    /// variable HASHSCOPE_THREADS overrides it (benchmarks compare at equal thread counts).
    static let maximumWorkers: Int = {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let requested = ProcessInfo.processInfo.environment["HASHSCOPE_THREADS"].flatMap { Int($0) } ?? cores
        return max(1, min(16, requested))
    }()

    /// How many workers `count` items get when each should have at least `minimumPerWorker`.
    static func workerCount(for count: Int, minimumPerWorker: Int = 1) -> Int {
        max(1, min(maximumWorkers, count / max(1, minimumPerWorker)))
    }

    /// The `worker`-th of `workers` balanced contiguous ranges of 0..<count.
    static func range(_ worker: Int, of workers: Int, count: Int) -> Range<Int> {
        let base = count / workers, extra = count % workers
        let start = worker * base + min(worker, extra)
        return start..<(start + base + (worker < extra ? 1 : 0))
    }

    /// Calls `body(worker, range)` for `workers` balanced ranges of 0..<count, concurrently when
    /// there is more than one. Ranges may be empty when count < workers.
    static func forEachRange(count: Int, workers: Int, _ body: @Sendable (Int, Range<Int>) -> Void) {
        if workers <= 1 {
            body(0, 0..<count)
            return
        }
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            body(worker, range(worker, of: workers, count: count))
        }
    }
}

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
