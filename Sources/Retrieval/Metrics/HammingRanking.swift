/// The whole database ranked for one query by Hamming distance, nearest first, ties broken by
/// database index (docs/ARCHITECTURE.md, Definitions: stable, never by chance). Distances are 0...bits, so a counting
/// sort does it in two linear passes: a histogram of distances gives where each distance's run
/// starts, then a pass in index order drops every item at the next slot of its run, which
/// keeps equal distances in index order. numpy's `np.argsort(d, kind='stable')` gives the same
/// order (scripts/reference_metrics.py uses it).
public struct HammingRanking: Sendable, Equatable {
    /// Database indices, nearest first.
    public let order: [Int]
    /// `distances[p]` is the distance of `order[p]`.
    public let distances: [Int]
    /// Items at distance d sit at positions `runStarts[d] ..< runStarts[d + 1]` (bits + 2 entries).
    public let runStarts: [Int]

    public init(query codes: BinaryCodes, _ q: Int, database: BinaryCodes) {
        precondition(codes.bits == database.bits, "\(codes.bits)-bit queries cannot rank \(database.bits)-bit codes")
        let n = database.count, bits = database.bits
        var keys = [UInt16](repeating: 0, count: n)
        keys.withUnsafeMutableBufferPointer { Self.fillDistances(query: codes.code(q).baseAddress!, database: database, into: $0.baseAddress!) }
        var starts = [Int](repeating: 0, count: bits + 2)
        for key in keys { starts[Int(key) + 1] += 1 }
        for d in 0...bits { starts[d + 1] += starts[d] }
        var next = starts
        var order = [Int](repeating: 0, count: n), distances = [Int](repeating: 0, count: n)
        for i in 0..<n {
            let d = Int(keys[i])
            order[next[d]] = i
            distances[next[d]] = d
            next[d] += 1
        }
        self.order = order
        self.distances = distances
        self.runStarts = starts
    }

    /// `out[i]` = Hamming distance from `query` (wordsPerCode words) to database code i.
    ///
    /// POPCNT: the Retrieval target is built with -Xcc -mpopcnt (Package.swift), so
    /// `nonzeroBitCount` here is one popcnt instruction per word (docs/ARCHITECTURE.md, Platform notes 10).
    static func fillDistances(query: UnsafePointer<UInt64>, database: BinaryCodes, into out: UnsafeMutablePointer<UInt16>) {
        let words = database.buffer.words, n = database.count
        switch database.wordsPerCode {
        case 1:
            let q0 = query[0]
            for i in 0..<n { out[i] = UInt16(truncatingIfNeeded: (words[i] ^ q0).nonzeroBitCount) }
        case 2:
            let q0 = query[0], q1 = query[1]
            for i in 0..<n {
                let code = words + 2 * i
                out[i] = UInt16(truncatingIfNeeded: (code[0] ^ q0).nonzeroBitCount + (code[1] ^ q1).nonzeroBitCount)
            }
        case let w:
            for i in 0..<n {
                let code = words + w * i
                var d = 0
                for k in 0..<w { d += (code[k] ^ query[k]).nonzeroBitCount }
                out[i] = UInt16(truncatingIfNeeded: d)
            }
        }
    }
}
