/// The exact Hamming scan of a range of database codes for one query.
///
/// POPCNT: the Retrieval target is compiled with -Xcc -mpopcnt (Package.swift), and the
/// disassembly of these loops (objdump -d on the release build, 2026-11-23) shows one
/// `popcnt` per code word and no bit-twiddling fallback. Without the flag a scan is ~3.7x
/// slower (docs/ARCHITECTURE.md, Platform notes 10).
import CCPUFeatures
import HammingKernelsAVX512

/// Which scan kernel runs: the portable one (x86-64 + popcnt), or AVX-512 VPOPCNTDQ where
/// the CPU has it.
public enum HammingKernel: String, Sendable, CaseIterable {
    case portable, avx512

    /// The fastest kernel this CPU runs.
    public static let best: HammingKernel = hs_cpu_has_avx512_popcount() != 0 ? .avx512 : .portable

    /// Whether this CPU can run `self`.
    public var isSupported: Bool { self == .portable || Self.best == .avx512 }
}

enum HammingScan {
    /// Scans codes `range` of `database` (words `wordsPerCode` per code) against `query`.
    static func scan(query: UnsafePointer<UInt64>, database: UnsafePointer<UInt64>, wordsPerCode: Int,
                     range: Range<Int>, kernel: HammingKernel, into collector: inout TopKCollector) {
        if kernel == .avx512 {
            scanAVX512(query, database, wordsPerCode, range, &collector)
            return
        }
        switch wordsPerCode {
        case 1: scan1(query, database, range, &collector)
        case 2: scan2(query, database, range, &collector)
        case 4: scan4(query, database, range, &collector)
        default: scanN(query, database, wordsPerCode, range, &collector)
        }
    }

    // The threshold lives in a local (a register) and is re-read only after `add`, the
    // rare call that can lower it.

    // 64-bit codes: the memory-bound case, where instructions per code decide whether the
    // scan keeps up with memory. Eight codes per iteration; "any of them within the
    // threshold" is one sign test on the OR of (distance - threshold - 1), cheaper than a
    // tree of min() (about 4 instructions a code: load+xor, popcnt, sub, or).
    private static func scan1(_ query: UnsafePointer<UInt64>, _ database: UnsafePointer<UInt64>,
                              _ range: Range<Int>, _ collector: inout TopKCollector) {
        let q = query[0]
        var threshold = collector.threshold
        var i = range.lowerBound
        let end = range.upperBound
        var c = database + i
        while i &+ 8 <= end {
            let d0 = (c[0] ^ q).nonzeroBitCount, d1 = (c[1] ^ q).nonzeroBitCount
            let d2 = (c[2] ^ q).nonzeroBitCount, d3 = (c[3] ^ q).nonzeroBitCount
            let d4 = (c[4] ^ q).nonzeroBitCount, d5 = (c[5] ^ q).nonzeroBitCount
            let d6 = (c[6] ^ q).nonzeroBitCount, d7 = (c[7] ^ q).nonzeroBitCount
            let limit = threshold &+ 1
            let any = ((d0 &- limit) | (d1 &- limit) | (d2 &- limit) | (d3 &- limit))
                | ((d4 &- limit) | (d5 &- limit) | (d6 &- limit) | (d7 &- limit))
            if any < 0 {
                add(d0, i, &collector, &threshold); add(d1, i + 1, &collector, &threshold)
                add(d2, i + 2, &collector, &threshold); add(d3, i + 3, &collector, &threshold)
                add(d4, i + 4, &collector, &threshold); add(d5, i + 5, &collector, &threshold)
                add(d6, i + 6, &collector, &threshold); add(d7, i + 7, &collector, &threshold)
            }
            i &+= 8
            c += 8
        }
        while i < end {
            add((c[0] ^ q).nonzeroBitCount, i, &collector, &threshold)
            i &+= 1
            c += 1
        }
    }

    // Wider codes walk a pointer instead of indexing `database + words * i`, which would
    // cost an overflow check per code.
    private static func scan2(_ query: UnsafePointer<UInt64>, _ database: UnsafePointer<UInt64>,
                              _ range: Range<Int>, _ collector: inout TopKCollector) {
        let q0 = query[0], q1 = query[1]
        var threshold = collector.threshold
        var i = range.lowerBound
        let end = range.upperBound
        var c = database + 2 * i
        while i &+ 4 <= end {
            let d0 = (c[0] ^ q0).nonzeroBitCount &+ (c[1] ^ q1).nonzeroBitCount
            let d1 = (c[2] ^ q0).nonzeroBitCount &+ (c[3] ^ q1).nonzeroBitCount
            let d2 = (c[4] ^ q0).nonzeroBitCount &+ (c[5] ^ q1).nonzeroBitCount
            let d3 = (c[6] ^ q0).nonzeroBitCount &+ (c[7] ^ q1).nonzeroBitCount
            let limit = threshold &+ 1
            if ((d0 &- limit) | (d1 &- limit) | (d2 &- limit) | (d3 &- limit)) < 0 {
                add(d0, i, &collector, &threshold)
                add(d1, i &+ 1, &collector, &threshold)
                add(d2, i &+ 2, &collector, &threshold)
                add(d3, i &+ 3, &collector, &threshold)
            }
            i &+= 4
            c += 8
        }
        while i < end {
            add((c[0] ^ q0).nonzeroBitCount &+ (c[1] ^ q1).nonzeroBitCount, i, &collector, &threshold)
            i &+= 1
            c += 2
        }
    }

    private static func scan4(_ query: UnsafePointer<UInt64>, _ database: UnsafePointer<UInt64>,
                              _ range: Range<Int>, _ collector: inout TopKCollector) {
        let q0 = query[0], q1 = query[1], q2 = query[2], q3 = query[3]
        var threshold = collector.threshold
        var i = range.lowerBound
        let end = range.upperBound
        var c = database + 4 * i
        @inline(__always) func distance(_ c: UnsafePointer<UInt64>) -> Int {
            ((c[0] ^ q0).nonzeroBitCount &+ (c[1] ^ q1).nonzeroBitCount)
                &+ ((c[2] ^ q2).nonzeroBitCount &+ (c[3] ^ q3).nonzeroBitCount)
        }
        while i &+ 4 <= end {
            let d0 = distance(c), d1 = distance(c + 4), d2 = distance(c + 8), d3 = distance(c + 12)
            let limit = threshold &+ 1
            if ((d0 &- limit) | (d1 &- limit) | (d2 &- limit) | (d3 &- limit)) < 0 {
                add(d0, i, &collector, &threshold)
                add(d1, i &+ 1, &collector, &threshold)
                add(d2, i &+ 2, &collector, &threshold)
                add(d3, i &+ 3, &collector, &threshold)
            }
            i &+= 4
            c += 16
        }
        while i < end {
            add(distance(c), i, &collector, &threshold)
            i &+= 1
            c += 4
        }
    }

    private static func scanN(_ query: UnsafePointer<UInt64>, _ database: UnsafePointer<UInt64>, _ words: Int,
                              _ range: Range<Int>, _ collector: inout TopKCollector) {
        var threshold = collector.threshold
        for i in range {
            let code = database + words * i
            var d = 0
            for w in 0..<words { d &+= (code[w] ^ query[w]).nonzeroBitCount }
            add(d, i, &collector, &threshold)
        }
    }

    /// Two queries against the same codes (batched search): each code's words are loaded
    /// once for both, which is what lets a batch beat one-query-at-a-time on wide codes.
    static func scanPair(queries: (UnsafePointer<UInt64>, UnsafePointer<UInt64>), database: UnsafePointer<UInt64>,
                         wordsPerCode: Int, range: Range<Int>, kernel: HammingKernel,
                         into collectors: inout (TopKCollector, TopKCollector)) {
        switch (kernel, wordsPerCode) {
        case (.portable, 2): scanPair2(queries.0, queries.1, database, range, &collectors)
        case (.portable, 4): scanPair4(queries.0, queries.1, database, range, &collectors)
        default:
            scan(query: queries.0, database: database, wordsPerCode: wordsPerCode, range: range, kernel: kernel, into: &collectors.0)
            scan(query: queries.1, database: database, wordsPerCode: wordsPerCode, range: range, kernel: kernel, into: &collectors.1)
        }
    }

    /// Blocks of codes go to the AVX-512 distance kernel; a block whose smallest distance is
    /// beyond the threshold (almost all, once it settles) needs no further look.
    private static func scanAVX512(_ query: UnsafePointer<UInt64>, _ database: UnsafePointer<UInt64>, _ words: Int,
                                   _ range: Range<Int>, _ collector: inout TopKCollector) {
        let block = 256
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: block) { distances in
            let out = distances.baseAddress!
            var threshold = collector.threshold
            var start = range.lowerBound
            while start < range.upperBound {
                let count = min(block, range.upperBound - start)
                let smallest = AVX512Hamming.distances(query: query, database: database + start * words, wordsPerCode: words,
                                                       count: count, into: out)
                if Int(smallest) <= threshold {
                    for j in 0..<count { add(Int(out[j]), start + j, &collector, &threshold) }
                }
                start += count
            }
        }
    }

    private static func scanPair2(_ a: UnsafePointer<UInt64>, _ b: UnsafePointer<UInt64>, _ database: UnsafePointer<UInt64>,
                                  _ range: Range<Int>, _ collectors: inout (TopKCollector, TopKCollector)) {
        let a0 = a[0], a1 = a[1], b0 = b[0], b1 = b[1]
        var ta = collectors.0.threshold, tb = collectors.1.threshold
        var c = database + 2 * range.lowerBound
        for i in range {
            let w0 = c[0], w1 = c[1]
            let da = (w0 ^ a0).nonzeroBitCount &+ (w1 ^ a1).nonzeroBitCount
            let db = (w0 ^ b0).nonzeroBitCount &+ (w1 ^ b1).nonzeroBitCount
            if ((da &- ta &- 1) | (db &- tb &- 1)) < 0 {
                add(da, i, &collectors.0, &ta)
                add(db, i, &collectors.1, &tb)
            }
            c += 2
        }
    }

    private static func scanPair4(_ a: UnsafePointer<UInt64>, _ b: UnsafePointer<UInt64>, _ database: UnsafePointer<UInt64>,
                                  _ range: Range<Int>, _ collectors: inout (TopKCollector, TopKCollector)) {
        let a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3]
        let b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3]
        var ta = collectors.0.threshold, tb = collectors.1.threshold
        var c = database + 4 * range.lowerBound
        for i in range {
            let w0 = c[0], w1 = c[1], w2 = c[2], w3 = c[3]
            let da = ((w0 ^ a0).nonzeroBitCount &+ (w1 ^ a1).nonzeroBitCount)
                &+ ((w2 ^ a2).nonzeroBitCount &+ (w3 ^ a3).nonzeroBitCount)
            let db = ((w0 ^ b0).nonzeroBitCount &+ (w1 ^ b1).nonzeroBitCount)
                &+ ((w2 ^ b2).nonzeroBitCount &+ (w3 ^ b3).nonzeroBitCount)
            if ((da &- ta &- 1) | (db &- tb &- 1)) < 0 {
                add(da, i, &collectors.0, &ta)
                add(db, i, &collectors.1, &tb)
            }
            c += 4
        }
    }

    @inline(__always)
    private static func add(_ distance: Int, _ index: Int, _ collector: inout TopKCollector, _ threshold: inout Int) {
        if distance <= threshold {
            collector.add(distance: distance, index: index)
            threshold = collector.threshold
        }
    }

    /// Every code of `range` within `radius`, as packed (distance << 40 | index) keys.
    static func within(radius: Int, query: UnsafePointer<UInt64>, database: UnsafePointer<UInt64>,
                       wordsPerCode: Int, range: Range<Int>) -> [UInt64] {
        var found: [UInt64] = []
        for i in range {
            let code = database + wordsPerCode * i
            var d = 0
            for w in 0..<wordsPerCode { d += (code[w] ^ query[w]).nonzeroBitCount }
            if d <= radius { found.append(UInt64(d) << TopKCollector.indexBits | UInt64(i)) }
        }
        return found
    }
}
