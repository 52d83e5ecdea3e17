import ArgumentParser
import Foundation
import Basics
import Render
import Retrieval

struct BenchSearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Time exact Hamming top-k search on an index, one query at a time and as a batch.",
        discussion: """
            FILE is a hashscope index or a faiss IndexBinaryFlat file (IBxF). The queries are \
            random codes (seeded). Single-query time is the median over the queries; batch time \
            is one search of all of them, divided by their number. \
            JSON keys: ms_per_query, batch_ms_per_query, codes_per_second, bits, count \
            (and queries, k, threads, kind, kernel). Exit status: 0 ok, 2 bad input.
            """)

    @Option(help: "The index file (hashscope or faiss IBxF).")
    var index: String

    @Option(help: "How many random queries.")
    var queries = 100

    @Option(help: "Neighbours per query.")
    var k = 100

    @Option(help: "Threads.")
    var threads = 2

    @Option(help: "Scan kernel: best (the fastest this CPU runs), portable, or avx512.")
    var kernel = "best"

    @Option(help: "Seed for the random queries.")
    var seed: UInt64 = 1

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard queries > 0 else { throw ValidationError("--queries must be positive") }
        guard k > 0 else { throw ValidationError("--k must be positive") }
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be in 1...64") }
        guard kernel == "best" || HammingKernel(rawValue: kernel) != nil else {
            throw ValidationError("--kernel must be best, portable or avx512, not '\(kernel)'")
        }
        if let chosen = HammingKernel(rawValue: kernel), !chosen.isSupported {
            throw ValidationError("--kernel \(kernel): this CPU has no AVX-512 VPOPCNTDQ")
        }
    }

    func run() throws {
        let loaded: CodeFileLoader.Loaded
        loaded = try CodeFileLoader.load(index)
        let kind = loaded.kind
        let flat = BinaryFlatIndex(codes: loaded.index.codes, kernel: HammingKernel(rawValue: kernel) ?? .best)
        let bits = flat.bits
        var generator = SeededGenerator(seed: seed)
        let wordsPerCode = (bits + 63) / 64
        let tailMask: UInt64 = bits % 64 == 0 ? ~0 : (1 << UInt64(bits % 64)) - 1
        let words = (0..<queries * wordsPerCode).map { w in
            generator.next() & (w % wordsPerCode == wordsPerCode - 1 ? tailMask : ~0)
        }
        let queryCodes = BinaryCodes(bits: bits, words: words)

        // Touch every page once so the first timed query does not pay for the mapping.
        _ = flat.search(queryCodes.subset([0]), k: k, threads: threads)
        var times: [Double] = []
        for q in 0..<queries {
            let one = queryCodes.subset([q])
            let start = DispatchTime.now().uptimeNanoseconds
            _ = flat.search(one, k: k, threads: threads)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        let median = times.sorted()[times.count / 2]
        let batchStart = DispatchTime.now().uptimeNanoseconds
        _ = flat.search(queryCodes, k: k, threads: threads)
        let batchMs = Double(DispatchTime.now().uptimeNanoseconds - batchStart) / 1e6 / Double(queries)
        let codesPerSecond = Double(flat.count) / (median / 1e3)

        if json {
            print(BenchSearchJSON(ms_per_query: median, batch_ms_per_query: batchMs, codes_per_second: codesPerSecond, bits: bits,
                                  count: flat.count, queries: queries, k: k, threads: threads, kind: kind.rawValue,
                                  kernel: flat.kernel.rawValue).jsonText)
        } else {
            print("index        \(index) (\(kind.rawValue), \(flat.count) codes of \(bits) bits)")
            print("search       top \(k), \(threads) thread(s), \(queries) random queries, \(flat.kernel.rawValue) kernel")
            print(String(format: "single query %.3f ms (median), %.2f G codes/s", median, codesPerSecond / 1e9))
            print(String(format: "batch        %.3f ms per query", batchMs))
        }
    }
}
