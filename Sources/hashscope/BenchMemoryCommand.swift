import ArgumentParser
import Basics
import Foundation

struct BenchMemoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory",
        abstract: "Measure this machine's memory read bandwidth (the ceiling for a Hamming scan).",
        discussion: """
            Sums a buffer far larger than the caches on --threads threads, four independent \
            64-bit accumulators per thread, best of ten passes. JSON keys: read_gb_per_s, \
            threads, megabytes.
            """)

    @Option(help: "Threads.")
    var threads = 2

    @Option(help: "Buffer size in MiB.")
    var megabytes = 1024

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be in 1...64") }
        guard megabytes >= 64 else { throw ValidationError("--megabytes must be at least 64 (larger than the caches)") }
    }

    func run() throws {
        let words = megabytes << 17
        let buffer = UnsafeMutablePointer<UInt64>.allocate(capacity: words)
        defer { buffer.deallocate() }
        for i in 0..<words { buffer[i] = UInt64(truncatingIfNeeded: i &* 0x9E37_79B9) }
        let shared = SharedWords(pointer: buffer, count: words)
        var best = Double.infinity
        for _ in 0..<10 {
            let start = DispatchTime.now().uptimeNanoseconds
            let sums = ConcurrentSlots<UInt64>(count: threads)
            DispatchQueue.concurrentPerform(iterations: threads) { part in
                sums.store(shared.sum(range: words * part / threads..<words * (part + 1) / threads), at: part)
            }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            precondition(sums.values.reduce(0, &+) != 1, "keeps the sums alive")
        }
        let gbPerSecond = Double(words * 8) / best / 1e9
        if json {
            print(BenchMemoryJSON(read_gb_per_s: gbPerSecond, threads: threads, megabytes: megabytes).jsonText)
        } else {
            print(String(format: "memory read  %.1f GB/s (%d thread(s), %d MiB buffer)", gbPerSecond, threads, megabytes))
        }
    }
}

private struct SharedWords: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<UInt64>
    let count: Int

    func sum(range: Range<Int>) -> UInt64 {
        var a: UInt64 = 0, b: UInt64 = 0, c: UInt64 = 0, d: UInt64 = 0
        var i = range.lowerBound
        while i + 4 <= range.upperBound {
            a &+= pointer[i]; b &+= pointer[i + 1]; c &+= pointer[i + 2]; d &+= pointer[i + 3]
            i += 4
        }
        return a &+ b &+ c &+ d
    }
}
