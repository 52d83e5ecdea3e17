/// The exact Hamming scan of a range of database codes for one query.
///
/// POPCNT: the Retrieval target is compiled with -Xcc -mpopcnt (Package.swift), and the
/// disassembly of these loops (objdump -d on the release build, 2026-11-23) shows one
/// `popcnt` per code word and no bit-twiddling fallback. Without the flag a scan is ~3.7x
/// slower (PLATFORM.md, 10).
enum HammingScan {
    /// Scans codes `range` of `database` (words `wordsPerCode` per code) against `query`.
    static func scan(query: UnsafePointer<UInt64>, database: UnsafePointer<UInt64>, wordsPerCode: Int,
                     range: Range<Int>, into collector: inout TopKCollector) {
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
        while i + 8 <= end {
            let c = database + i
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
            i += 8
        }
        while i < end {
            add((database[i] ^ q).nonzeroBitCount, i, &collector, &threshold)
            i += 1
        }
    }

    private static func scan2(_ query: UnsafePointer<UInt64>, _ database: UnsafePointer<UInt64>,
                              _ range: Range<Int>, _ collector: inout TopKCollector) {
        let q0 = query[0], q1 = query[1]
        var threshold = collector.threshold
        var i = range.lowerBound
        let end = range.upperBound
        while i + 4 <= end {
            let c = database + 2 * i
            let d0 = (c[0] ^ q0).nonzeroBitCount &+ (c[1] ^ q1).nonzeroBitCount
            let d1 = (c[2] ^ q0).nonzeroBitCount &+ (c[3] ^ q1).nonzeroBitCount
            let d2 = (c[4] ^ q0).nonzeroBitCount &+ (c[5] ^ q1).nonzeroBitCount
            let d3 = (c[6] ^ q0).nonzeroBitCount &+ (c[7] ^ q1).nonzeroBitCount
            let limit = threshold &+ 1
            if ((d0 &- limit) | (d1 &- limit) | (d2 &- limit) | (d3 &- limit)) < 0 {
                add(d0, i, &collector, &threshold)
                add(d1, i + 1, &collector, &threshold)
                add(d2, i + 2, &collector, &threshold)
                add(d3, i + 3, &collector, &threshold)
            }
            i += 4
        }
        while i < end {
            let c = database + 2 * i
            add((c[0] ^ q0).nonzeroBitCount &+ (c[1] ^ q1).nonzeroBitCount, i, &collector, &threshold)
            i += 1
        }
    }

    private static func scan4(_ query: UnsafePointer<UInt64>, _ database: UnsafePointer<UInt64>,
                              _ range: Range<Int>, _ collector: inout TopKCollector) {
        let q0 = query[0], q1 = query[1], q2 = query[2], q3 = query[3]
        var threshold = collector.threshold
        var i = range.lowerBound
        let end = range.upperBound
        @inline(__always) func distance(_ c: UnsafePointer<UInt64>) -> Int {
            ((c[0] ^ q0).nonzeroBitCount &+ (c[1] ^ q1).nonzeroBitCount)
                &+ ((c[2] ^ q2).nonzeroBitCount &+ (c[3] ^ q3).nonzeroBitCount)
        }
        while i + 2 <= end {
            let c = database + 4 * i
            let d0 = distance(c), d1 = distance(c + 4)
            let limit = threshold &+ 1
            if ((d0 &- limit) | (d1 &- limit)) < 0 {
                add(d0, i, &collector, &threshold)
                add(d1, i + 1, &collector, &threshold)
            }
            i += 2
        }
        if i < end { add(distance(database + 4 * i), i, &collector, &threshold) }
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
