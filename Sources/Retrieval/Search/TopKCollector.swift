/// Keeps the k nearest codes seen so far during a Hamming scan, without a heap: every code
/// within the current distance threshold is appended as one packed key (distance << 40 |
/// index), and when the buffer fills, a histogram of the kept distances gives the smallest
/// threshold that still holds k of them and the buffer is compacted. Once the threshold
/// settles, almost every code fails the one comparison in the hot loop (docs/ARCHITECTURE.md, Platform notes: this
/// beat a heap and a two-pass count). Keys sort by (distance, index): ties go to the lower
/// database index, as docs/ARCHITECTURE.md's definitions require.
struct TopKCollector {
    static let indexBits: UInt64 = 40
    static let indexMask: UInt64 = (1 << 40) - 1

    let k: Int
    let bits: Int
    /// Codes farther than this cannot enter the top k.
    private(set) var threshold: Int
    private var keys: UnsafeMutablePointer<UInt64>
    private var count = 0
    private let capacity: Int
    private var histogram: UnsafeMutablePointer<Int>

    init(k: Int, bits: Int) {
        precondition(k > 0, "k must be positive")
        self.k = k
        self.bits = bits
        threshold = bits
        capacity = max(4 * k, 1024)
        keys = .allocate(capacity: capacity)
        histogram = .allocate(capacity: bits + 1)
        histogram.initialize(repeating: 0, count: bits + 1)
    }

    /// Frees the buffers; the collector must not be used after.
    func deallocate() {
        keys.deallocate()
        histogram.deallocate()
    }

    /// Records a code known to be within `threshold`. Kept out of line: the scan loop calls
    /// it rarely and stays small without it.
    @inline(never)
    mutating func add(distance: Int, index: Int) {
        keys[count] = UInt64(distance) << Self.indexBits | UInt64(index)
        histogram[distance] += 1
        count += 1
        if count == capacity { compact() }
    }

    /// Tightens the threshold to the k-th smallest kept distance and drops what lies beyond.
    private mutating func compact() {
        var cumulative = 0
        var newThreshold = bits
        for d in 0...bits {
            cumulative += histogram[d]
            if cumulative >= k { newThreshold = d; break }
        }
        var kept = 0
        for i in 0..<count where Int(keys[i] >> Self.indexBits) <= newThreshold {
            keys[kept] = keys[i]
            kept += 1
        }
        if newThreshold < bits { for d in (newThreshold + 1)...bits { histogram[d] = 0 } }
        count = kept
        threshold = newThreshold
        // Many ties at the threshold can leave the buffer nearly full: then keep only k.
        if count > capacity / 2 { keepBest(k) }
    }

    private mutating func keepBest(_ n: Int) {
        var buffer = UnsafeMutableBufferPointer(start: keys, count: count)
        buffer.sort()
        count = min(n, count)
        for d in 0...bits { histogram[d] = 0 }
        for i in 0..<count { histogram[Int(keys[i] >> Self.indexBits)] += 1 }
        // Codes come in index order, so one at exactly the k-th distance would lose the tie.
        if count == k { threshold = Int(keys[count - 1] >> Self.indexBits) - 1 }
    }

    /// The k best keys seen, sorted by (distance, index).
    func best() -> [UInt64] {
        Array(UnsafeBufferPointer(start: keys, count: count).sorted().prefix(k))
    }

    /// The k best of several collectors' results.
    static func merge(_ parts: [[UInt64]], k: Int) -> [UInt64] {
        parts.count == 1 ? parts[0] : Array(parts.joined().sorted().prefix(k))
    }
}
