import Basics
import Foundation

/// One neighbour found by a Hamming search.
public struct HammingNeighbour: Sendable, Equatable {
    public let index: Int
    public let distance: Int

    public init(index: Int, distance: Int) {
        self.index = index
        self.distance = distance
    }
}

/// Results of a k-nearest search, laid out like faiss's: row q holds query q's k
/// neighbours nearest first (ties by database index); rows short of k are padded with
/// label -1 and distance Int32.max.
public struct HammingSearchResults: Sendable, Equatable {
    public let k: Int
    public let distances: [Int32]
    public let labels: [Int]

    public var queryCount: Int { k == 0 ? 0 : labels.count / k }

    public func neighbours(ofQuery q: Int) -> [HammingNeighbour] {
        (q * k..<(q + 1) * k).compactMap { labels[$0] < 0 ? nil : HammingNeighbour(index: labels[$0], distance: Int(distances[$0])) }
    }
}

/// Exact Hamming search over packed codes, shaped like faiss's IndexBinaryFlat:
/// add / search / rangeSearch.
public struct BinaryFlatIndex: Sendable {
    public let bits: Int
    public private(set) var codes: BinaryCodes
    /// The scan kernel; the best the CPU runs unless a caller asks for another.
    public let kernel: HammingKernel

    public init(bits: Int, kernel: HammingKernel = .best) {
        precondition(kernel.isSupported, "this CPU cannot run the \(kernel) kernel")
        self.bits = bits
        codes = BinaryCodes(bits: bits, words: [])
        self.kernel = kernel
    }

    public init(codes: BinaryCodes, kernel: HammingKernel = .best) {
        precondition(kernel.isSupported, "this CPU cannot run the \(kernel) kernel")
        bits = codes.bits
        self.codes = codes
        self.kernel = kernel
    }

    public var count: Int { codes.count }

    /// Appends codes (copies the database once; build large indexes with init(codes:)).
    public mutating func add(_ more: BinaryCodes) {
        precondition(more.bits == bits, "adding \(more.bits)-bit codes to a \(bits)-bit index")
        let words = codes.count * codes.wordsPerCode, extra = more.count * more.wordsPerCode
        let buffer = CodeBuffer.make(wordCount: words + extra) { target in
            for w in 0..<words { target[w] = codes.buffer.words[w] }
            for w in 0..<extra { target[words + w] = more.buffer.words[w] }
        }
        codes = BinaryCodes(bits: bits, count: codes.count + more.count, buffer: buffer)
    }

    /// The k nearest codes to each query. A single query splits the database over
    /// `threads`; a batch splits the queries and walks the database in cache-sized blocks.
    public func search(_ queries: BinaryCodes, k: Int, threads: Int = 2) -> HammingSearchResults {
        precondition(queries.bits == bits, "\(queries.bits)-bit queries against a \(bits)-bit index")
        precondition(k > 0, "k must be positive")
        precondition(threads > 0, "threads must be positive")
        let queryCount = queries.count
        var distances = [Int32](repeating: .max, count: queryCount * k)
        var labels = [Int](repeating: -1, count: queryCount * k)
        if count == 0 || queryCount == 0 { return HammingSearchResults(k: k, distances: distances, labels: labels) }
        if queryCount == 1 {
            let best = searchOne(queries, k: k, threads: threads)
            store(best, row: 0, k: k, distances: &distances, labels: &labels)
        } else {
            let rows = searchBatch(queries, k: k, threads: threads)
            for (q, best) in rows.enumerated() { store(best, row: q, k: k, distances: &distances, labels: &labels) }
        }
        return HammingSearchResults(k: k, distances: distances, labels: labels)
    }

    /// Every code within `radius` of each query, nearest first (ties by index).
    public func rangeSearch(_ queries: BinaryCodes, radius: Int, threads: Int = 2) -> [[HammingNeighbour]] {
        precondition(queries.bits == bits, "\(queries.bits)-bit queries against a \(bits)-bit index")
        precondition(radius >= 0, "radius must not be negative")
        let results = ConcurrentSlots<[HammingNeighbour]>(count: queries.count)
        let codes = codes, parts = max(1, min(threads, queries.count))
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            for q in stride(from: part, to: queries.count, by: parts) {
                let found = HammingScan.within(radius: radius, query: queries.code(q).baseAddress!, database: codes.buffer.words,
                                               wordsPerCode: codes.wordsPerCode, range: 0..<codes.count).sorted()
                results.store(found.map { Self.neighbour($0) }, at: q)
            }
        }
        return results.values
    }

    /// The first query of `queries`, the database split into `threads` ranges (small
    /// databases are not worth a second thread).
    private func searchOne(_ queries: BinaryCodes, k: Int, threads: Int) -> [UInt64] {
        let parts = max(1, min(threads, count / 65_536 + 1))
        let codes = codes, kernel = kernel
        let slots = ConcurrentSlots<[UInt64]>(count: parts)
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let range = codes.count * part / parts..<codes.count * (part + 1) / parts
            var collector = TopKCollector(k: k, bits: codes.bits)
            HammingScan.scan(query: queries.code(0).baseAddress!, database: codes.buffer.words,
                             wordsPerCode: codes.wordsPerCode, range: range, kernel: kernel, into: &collector)
            slots.store(collector.best(), at: part)
            collector.deallocate()
        }
        return TopKCollector.merge(slots.values, k: k)
    }

    /// Blocks of database codes small enough to stay in L2 are scanned by every query of a
    /// thread's share before the next block is loaded.
    private func searchBatch(_ queries: BinaryCodes, k: Int, threads: Int) -> [[UInt64]] {
        let codes = codes, kernel = kernel
        let blockCodes = max(1024, (256 * 1024 / 8) / codes.wordsPerCode)
        let parts = max(1, min(threads, queries.count))
        let slots = ConcurrentSlots<[UInt64]>(count: queries.count)
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let mine = Array(stride(from: part, to: queries.count, by: parts))
            var collectors = mine.map { _ in TopKCollector(k: k, bits: codes.bits) }
            var start = 0
            while start < codes.count {
                let range = start..<min(codes.count, start + blockCodes)
                var slot = 0
                // Queries two at a time share each code load; an odd one out goes alone.
                while slot + 1 < mine.count {
                    var pair = (collectors[slot], collectors[slot + 1])
                    HammingScan.scanPair(queries: (queries.code(mine[slot]).baseAddress!, queries.code(mine[slot + 1]).baseAddress!),
                                         database: codes.buffer.words, wordsPerCode: codes.wordsPerCode,
                                         range: range, kernel: kernel, into: &pair)
                    (collectors[slot], collectors[slot + 1]) = pair
                    slot += 2
                }
                if slot < mine.count {
                    HammingScan.scan(query: queries.code(mine[slot]).baseAddress!, database: codes.buffer.words,
                                     wordsPerCode: codes.wordsPerCode, range: range, kernel: kernel, into: &collectors[slot])
                }
                start = range.upperBound
            }
            for (slot, q) in mine.enumerated() {
                slots.store(collectors[slot].best(), at: q)
                collectors[slot].deallocate()
            }
        }
        return slots.values
    }

    private func store(_ best: [UInt64], row: Int, k: Int, distances: inout [Int32], labels: inout [Int]) {
        for (j, key) in best.enumerated() {
            let neighbour = Self.neighbour(key)
            distances[row * k + j] = Int32(neighbour.distance)
            labels[row * k + j] = neighbour.index
        }
    }

    private static func neighbour(_ key: UInt64) -> HammingNeighbour {
        HammingNeighbour(index: Int(key & TopKCollector.indexMask), distance: Int(key >> TopKCollector.indexBits))
    }
}
