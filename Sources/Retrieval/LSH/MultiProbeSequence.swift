/// Query-directed multi-probe LSH (Lv, Josephson, Wang, Charikar & Li, VLDB 2007), for sign
/// hashes: flipping bit i of a query's bucket key costs |margin_i|, the query's distance to
/// hyperplane i; a perturbation set costs the sum over its bits. Buckets are probed in order of
/// increasing cost: the query's own bucket (no flips), then the cheapest sets.
///
/// Costs interleave set sizes: {the two least confident bits} comes before a single flip of a
/// confident bit when |m_1| + |m_2| < |m_3|. Sets are generated lazily with the paper's
/// min-heap and its shift / expand operations over the bits sorted by |margin| (each set has
/// one parent and costs no less than it), so the first p probes cost O(p log p + K log K).
/// Equal costs are ordered by the flip mask, so the sequence is a fixed function of the
/// margins and a longer probe list always extends a shorter one (probed sets are nested).
public struct MultiProbeSequence: Sendable {
    private struct Entry {
        var cost: Double
        var flips: UInt32
        /// Position, in the bits sorted by |margin|, of the set's most expensive bit.
        var last: Int
    }

    private var heap: [Entry] = []
    private var order: [Int] = []       // bit indices by increasing |margin|, ties by index
    private var costs: [Double] = []    // |margin| of order[i]

    public init() {}

    /// The first `count` flip masks (XOR with the query's key) for a table whose K projections
    /// are `margins`; the first is 0 (the query's own bucket). `count` is capped at 2^K.
    public static func flipMasks(margins: [Float], count: Int) -> [UInt32] {
        var sequence = MultiProbeSequence()
        var masks: [UInt32] = []
        margins.withUnsafeBufferPointer { sequence.generate(margins: $0, count: count, into: &masks) }
        return masks
    }

    /// As `flipMasks`, reusing this generator's scratch space (one per thread).
    public mutating func generate(margins: UnsafeBufferPointer<Float>, count: Int, into masks: inout [UInt32]) {
        let k = margins.count
        precondition(k >= 1 && k <= 32, "1...32 bits per table")
        masks.removeAll(keepingCapacity: true)
        let total = k >= 63 ? Int.max : 1 << k
        let wanted = min(count, total)
        guard wanted > 0 else { return }
        masks.append(0)
        guard wanted > 1 else { return }

        order = Array(0..<k)
        order.sort { a, b in
            let ma = abs(margins[a]), mb = abs(margins[b])
            return ma < mb || (ma == mb && a < b)
        }
        costs = order.map { Double(abs(margins[$0])) }
        heap.removeAll(keepingCapacity: true)
        push(Entry(cost: costs[0], flips: 1 << UInt32(order[0]), last: 0))
        while masks.count < wanted, let set = pop() {
            masks.append(set.flips)
            let next = set.last + 1
            guard next < k else { continue }
            let bit = UInt32(1) << UInt32(order[next])
            // shift: swap the most expensive bit for the next one; expand: add the next one.
            let shifted = set.flips ^ (UInt32(1) << UInt32(order[set.last])) ^ bit
            push(Entry(cost: set.cost - costs[set.last] + costs[next], flips: shifted, last: next))
            push(Entry(cost: set.cost + costs[next], flips: set.flips | bit, last: next))
        }
    }

    // A binary min-heap on (cost, flips).

    @inline(__always)
    private static func before(_ a: Entry, _ b: Entry) -> Bool {
        a.cost < b.cost || (a.cost == b.cost && a.flips < b.flips)
    }

    private mutating func push(_ entry: Entry) {
        heap.append(entry)
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard Self.before(entry, heap[parent]) else { break }
            heap[i] = heap[parent]
            i = parent
        }
        heap[i] = entry
    }

    private mutating func pop() -> Entry? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        guard !heap.isEmpty else { return top }
        var i = 0
        while true {
            let left = 2 * i + 1
            guard left < heap.count else { break }
            var child = left
            if left + 1 < heap.count && Self.before(heap[left + 1], heap[left]) { child = left + 1 }
            guard Self.before(heap[child], last) else { break }
            heap[i] = heap[child]
            i = child
        }
        heap[i] = last
        return top
    }
}
