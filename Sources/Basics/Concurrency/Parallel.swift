import Dispatch
import Foundation
import Synchronization

/// Splitting work over the cores: contiguous ranges of a batch (or of channels, queries,
/// gallery items), one per worker, run with DispatchQueue.concurrentPerform.
public enum Parallel {
    /// Worker threads: one per core unless `configure(workers:)` said otherwise, at most 16.
    public static var maximumWorkers: Int {
        let configured = configuredWorkers.load(ordering: .relaxed)
        return configured > 0 ? configured : defaultWorkers
    }

    /// Sets the worker count for everything that runs after it (commands call it once, from
    /// their `--threads`, before any work starts; benchmarks compare at equal counts).
    public static func configure(workers: Int) {
        configuredWorkers.store(max(1, min(16, workers)), ordering: .relaxed)
    }

    private static let defaultWorkers = max(1, min(16, ProcessInfo.processInfo.activeProcessorCount))
    private static let configuredWorkers = Atomic<Int>(0)

    /// How many workers `count` items get when each should have at least `minimumPerWorker`.
    public static func workerCount(for count: Int, minimumPerWorker: Int = 1) -> Int {
        max(1, min(maximumWorkers, count / max(1, minimumPerWorker)))
    }

    /// The `worker`-th of `workers` balanced contiguous ranges of 0..<count.
    public static func range(_ worker: Int, of workers: Int, count: Int) -> Range<Int> {
        let base = count / workers, extra = count % workers
        let start = worker * base + min(worker, extra)
        return start..<(start + base + (worker < extra ? 1 : 0))
    }

    /// Calls `body(worker, range)` for `workers` balanced ranges of 0..<count, concurrently when
    /// there is more than one. Ranges may be empty when count < workers.
    public static func forEachRange(count: Int, workers: Int, _ body: @Sendable (Int, Range<Int>) -> Void) {
        if workers <= 1 {
            body(0, 0..<count)
            return
        }
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            body(worker, range(worker, of: workers, count: count))
        }
    }
}
