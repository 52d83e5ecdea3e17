import Basics

/// One target code per class for central-similarity hashing (Yuan et al., "Central Similarity
/// Quantization for Efficient Image and Video Retrieval", CVPR 2020): every image is pulled to its
/// class's center, so the centers' mutual Hamming distances are what the codes can keep apart.
///
/// As the paper: when a Hadamard matrix of order `bits` exists and there are at most 2 x bits
/// classes, the centers are its rows, then the negated rows (any two at distance bits / 2 or
/// bits); otherwise seeded random +-1 codes, each picked as the farthest of 64 candidates from
/// those already chosen. The centers depend on (classes, bits) alone, so a run needs nothing saved.
public struct HashCenters: Sendable, Equatable {
    public let classes: Int
    public let bits: Int
    /// (classes, bits) row-major, entries +-1.
    public let codes: [Float]

    public init(classes: Int, bits: Int) {
        precondition(classes >= 1 && bits >= 1, "hash centers need at least one class and one bit")
        self.classes = classes
        self.bits = bits
        if let rows = HadamardMatrix.rows(order: bits), classes <= 2 * bits {
            let signed = rows + rows.map { $0.map { -$0 } }
            codes = signed.prefix(classes).flatMap { $0.map(Float.init) }
        } else {
            codes = Self.randomCenters(classes: classes, bits: bits)
        }
    }

    /// The center of class c.
    public func center(_ c: Int) -> ArraySlice<Float> { codes[(c * bits)..<((c + 1) * bits)] }

    /// The fewest bits in which two centers differ.
    public var minimumDistance: Int {
        var best = bits
        for a in 0..<classes {
            for b in (a + 1)..<max(a + 1, classes) {
                best = min(best, zip(center(a), center(b)).filter { $0 != $1 }.count)
            }
        }
        return best
    }

    /// Each image's target code, (N, bits) row-major, and whether it has one. A class id's target
    /// is its center; a multi-hot row's is the sign of the sum of its labels' centers (a tie takes
    /// the first label's bit); an image without labels has none.
    public func targets(for labels: BatchLabels) -> (codes: [Float], present: [Bool]) {
        let n = labels.count
        var targets = [Float](repeating: 0, count: n * bits)
        var present = [Bool](repeating: false, count: n)
        switch labels {
        case .classIDs(let ids):
            for (i, id) in ids.enumerated() {
                precondition((0..<classes).contains(id), "class id \(id) outside the \(classes) hash centers")
                targets.replaceSubrange((i * bits)..<((i + 1) * bits), with: center(id))
                present[i] = true
            }
        case .multiHot(let rows):
            let columns = rows.shape[1]
            precondition(columns == classes, "multi-hot rows of \(columns) labels against \(classes) hash centers")
            rows.withUnsafeBufferPointer { y in
                for i in 0..<n {
                    let owned = (0..<columns).filter { y[i * columns + $0] > 0 }
                    guard let first = owned.first else { continue }
                    present[i] = true
                    for k in 0..<bits {
                        let sum = owned.reduce(Float(0)) { $0 + codes[$1 * bits + k] }
                        targets[i * bits + k] = sum > 0 ? 1 : (sum < 0 ? -1 : codes[first * bits + k])
                    }
                }
            }
        }
        return (targets, present)
    }

    private static func randomCenters(classes: Int, bits: Int) -> [Float] {
        var generator = SeededGenerator(seed: 0xC5_0000 &+ UInt64(bits) &* 1_000_003 &+ UInt64(classes))
        var chosen: [[Float]] = []
        for _ in 0..<classes {
            var best: [Float] = [], bestDistance = -1
            for _ in 0..<64 {
                let candidate = (0..<bits).map { _ in Float(generator.next() & 1 == 0 ? -1 : 1) }
                let distance = chosen.map { zip($0, candidate).filter { $0 != $1 }.count }.min() ?? bits
                if distance > bestDistance { (best, bestDistance) = (candidate, distance) }
            }
            chosen.append(best)
        }
        return chosen.flatMap { $0 }
    }
}
