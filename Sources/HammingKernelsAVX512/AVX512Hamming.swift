/// Hamming distances for a block of codes, compiled for CPUs with AVX-512 VPOPCNTDQ
/// (Package.swift builds this module alone with -target-cpu icelake-server, so LLVM turns
/// the lane-wise popcounts below into vpopcntq on zmm registers). Nothing here may run
/// unless `hs_cpu_has_avx512_popcount()` said yes: Retrieval checks once and otherwise uses
/// its portable scalar kernels.
public enum AVX512Hamming {
    /// Writes the distance of each of `count` codes (`wordsPerCode` words each, from
    /// `database`) to `query` into `distances`, and returns the smallest.
    // database: (count, wordsPerCode) UInt64 -> distances: (count,) Int32
    public static func distances(query: UnsafePointer<UInt64>, database: UnsafePointer<UInt64>, wordsPerCode: Int,
                                 count: Int, into distances: UnsafeMutablePointer<Int32>) -> Int32 {
        switch wordsPerCode {
        case 1: return distances1(query[0], database, count, distances)
        case 2: return distances2(query, database, count, distances)
        case 4: return distances4(query, database, count, distances)
        default: return distancesN(query, database, wordsPerCode, count, distances)
        }
    }

    private static func distances1(_ q: UInt64, _ database: UnsafePointer<UInt64>, _ count: Int,
                                   _ out: UnsafeMutablePointer<Int32>) -> Int32 {
        var smallest = Int32.max
        for i in 0..<count {
            let d = Int32(truncatingIfNeeded: (database[i] ^ q).nonzeroBitCount)
            out[i] = d
            smallest = min(smallest, d)
        }
        return smallest
    }

    private static func distances2(_ query: UnsafePointer<UInt64>, _ database: UnsafePointer<UInt64>, _ count: Int,
                                   _ out: UnsafeMutablePointer<Int32>) -> Int32 {
        let q = SIMD2(query[0], query[1])
        var smallest = Int32.max
        database.withMemoryRebound(to: SIMD2<UInt64>.self, capacity: count) { codes in
            for i in 0..<count {
                let d = Int32(truncatingIfNeeded: (codes[i] ^ q).nonzeroBitCount.wrappedSum())
                out[i] = d
                smallest = min(smallest, d)
            }
        }
        return smallest
    }

    private static func distances4(_ query: UnsafePointer<UInt64>, _ database: UnsafePointer<UInt64>, _ count: Int,
                                   _ out: UnsafeMutablePointer<Int32>) -> Int32 {
        let q = SIMD4(query[0], query[1], query[2], query[3])
        var smallest = Int32.max
        database.withMemoryRebound(to: SIMD4<UInt64>.self, capacity: count) { codes in
            for i in 0..<count {
                let d = Int32(truncatingIfNeeded: (codes[i] ^ q).nonzeroBitCount.wrappedSum())
                out[i] = d
                smallest = min(smallest, d)
            }
        }
        return smallest
    }

    private static func distancesN(_ query: UnsafePointer<UInt64>, _ database: UnsafePointer<UInt64>, _ words: Int,
                                   _ count: Int, _ out: UnsafeMutablePointer<Int32>) -> Int32 {
        var smallest = Int32.max
        for i in 0..<count {
            let code = database + i * words
            var d = 0
            for w in 0..<words { d &+= (code[w] ^ query[w]).nonzeroBitCount }
            out[i] = Int32(truncatingIfNeeded: d)
            smallest = min(smallest, out[i])
        }
        return smallest
    }
}
