/// One neighbour found by a cosine search.
public struct CosineNeighbour: Sendable, Equatable {
    public let index: Int
    public let similarity: Float

    public init(index: Int, similarity: Float) {
        self.index = index
        self.similarity = similarity
    }
}

/// Results of a k-nearest cosine search, laid out like faiss's inner-product search: row q
/// holds query q's k neighbours, most similar first (ties by database index); rows short of
/// k are padded with label -1 and similarity `-Float.greatestFiniteMagnitude` (faiss's
/// -FLT_MAX).
public struct CosineSearchResults: Sendable, Equatable {
    public static let padSimilarity = -Float.greatestFiniteMagnitude

    public let k: Int
    public let similarities: [Float]
    public let labels: [Int]

    public var queryCount: Int { labels.count / k }

    public func neighbours(ofQuery q: Int) -> [CosineNeighbour] {
        (q * k ..< (q + 1) * k).compactMap {
            labels[$0] < 0 ? nil : CosineNeighbour(index: labels[$0], similarity: similarities[$0])
        }
    }
}

/// The k most similar candidates offered so far: a binary heap with the worst kept at the
/// root, so a candidate costs one comparison unless it enters. Order: similarity descending,
/// then database index ascending (docs/ARCHITECTURE.md's stable tie rule).
struct CosineTopK {
    let k: Int
    private var similarities: [Float]
    private var ids: [Int32]
    private(set) var count = 0

    init(k: Int) {
        precondition(k > 0)
        self.k = k
        similarities = [Float](repeating: 0, count: k)
        ids = [Int32](repeating: 0, count: k)
    }

    mutating func reset() { count = 0 }

    /// a ranks below b.
    @inline(__always)
    private static func worse(_ sa: Float, _ ia: Int32, _ sb: Float, _ ib: Int32) -> Bool {
        sa < sb || (sa == sb && ia > ib)
    }

    @inline(__always)
    mutating func offer(similarity: Float, id: Int32) {
        if count < k {
            // Sift up from the new leaf.
            var i = count
            count += 1
            while i > 0 {
                let parent = (i - 1) / 2
                guard Self.worse(similarity, id, similarities[parent], ids[parent]) else { break }
                similarities[i] = similarities[parent]
                ids[i] = ids[parent]
                i = parent
            }
            similarities[i] = similarity
            ids[i] = id
        } else if Self.worse(similarities[0], ids[0], similarity, id) {
            // Replace the root and sift down.
            var i = 0
            while true {
                let left = 2 * i + 1
                guard left < k else { break }
                var child = left
                if left + 1 < k && Self.worse(similarities[left + 1], ids[left + 1], similarities[left], ids[left]) {
                    child = left + 1
                }
                guard Self.worse(similarities[child], ids[child], similarity, id) else { break }
                similarities[i] = similarities[child]
                ids[i] = ids[child]
                i = child
            }
            similarities[i] = similarity
            ids[i] = id
        }
    }

    /// Writes the kept candidates best first, padded to k.
    func write(similarities out: UnsafeMutablePointer<Float>, labels: UnsafeMutablePointer<Int>) {
        let order = (0..<count).sorted {
            Self.worse(similarities[$1], ids[$1], similarities[$0], ids[$0])
        }
        for (slot, i) in order.enumerated() {
            out[slot] = similarities[i]
            labels[slot] = Int(ids[i])
        }
        for slot in count..<k {
            out[slot] = CosineSearchResults.padSimilarity
            labels[slot] = -1
        }
    }
}

/// Output rows written by several threads, each to its own rows.
struct CosineResultRows<Element>: @unchecked Sendable {
    let base: UnsafeMutablePointer<Element>
}
