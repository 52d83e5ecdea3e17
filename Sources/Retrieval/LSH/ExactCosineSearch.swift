/// Brute-force cosine search over float features: every stored item is scored. The "exact"
/// reference LSH is tested against, and the baseline its speed-ups are measured from. Scores
/// come from the same normalisation and dot product as `LSHIndex`'s re-ranking, so the two
/// agree bit for bit on any item both score.
public struct ExactCosineSearch: Sendable {
    public let dimension: Int
    private var store: UnitFeatures

    public init(dimension: Int) {
        precondition(dimension > 0, "dimension must be positive")
        self.dimension = dimension
        store = UnitFeatures(dimension: dimension)
    }

    public var count: Int { store.count }

    /// Appends items `count ..< count + features.rows`.
    public mutating func add(_ features: FeatureMatrix) throws(FeatureSearchError) {
        guard store.count + features.rows <= Int(Int32.max) else { throw .tooManyItems(store.count + features.rows) }
        store.append(normalised: try UnitFeatures.normalise(features, dimension: dimension))
    }

    /// The k most similar items to each query, most similar first, ties by index; rows short
    /// of k padded with -1. Queries are split over `threads`.
    // queries: (Q,D) -> (Q,k)
    public func search(_ queries: FeatureMatrix, k: Int, threads: Int = 1) throws(FeatureSearchError) -> CosineSearchResults {
        guard k >= 1 else { throw .invalidK(k) }
        let normalised = try UnitFeatures.normalise(queries, dimension: dimension)
        let n = queries.rows
        var similarities = [Float](repeating: CosineSearchResults.padSimilarity, count: n * k)
        var labels = [Int](repeating: -1, count: n * k)
        guard n > 0 && count > 0 else { return CosineSearchResults(k: k, similarities: similarities, labels: labels) }
        let store = store, dimension = dimension
        similarities.withUnsafeMutableBufferPointer { sims in
            labels.withUnsafeMutableBufferPointer { labs in
                let simRows = CosineResultRows(base: sims.baseAddress!), labelRows = CosineResultRows(base: labs.baseAddress!)
                LSHIndex.splitQueries(n, threads: threads) { range in
                    var best = CosineTopK(k: k)
                    normalised.withUnsafeBufferPointer { q in
                        store.values.withUnsafeBufferPointer { stored in
                            for query in range {
                                best.reset()
                                let qp = q.baseAddress! + query * dimension
                                for id in 0..<store.count {
                                    let similarity = UnitFeatures.similarity(qp, stored.baseAddress!, id: id, dimension: dimension)
                                    best.offer(similarity: similarity, id: Int32(id))
                                }
                                best.write(similarities: simRows.base + query * k, labels: labelRows.base + query * k)
                            }
                        }
                    }
                }
            }
        }
        return CosineSearchResults(k: k, similarities: similarities, labels: labels)
    }

    /// Every item with cosine similarity >= `minSimilarity`, most similar first, ties by index.
    public func rangeSearch(_ queries: FeatureMatrix, minSimilarity: Float) throws(FeatureSearchError) -> [[CosineNeighbour]] {
        let normalised = try UnitFeatures.normalise(queries, dimension: dimension)
        return normalised.withUnsafeBufferPointer { q in
            store.values.withUnsafeBufferPointer { stored in
                (0..<queries.rows).map { query in
                    (0..<store.count).compactMap { id -> CosineNeighbour? in
                        let similarity = UnitFeatures.similarity(q.baseAddress! + query * dimension, stored.baseAddress!, id: id, dimension: dimension)
                        return similarity >= minSimilarity ? CosineNeighbour(index: id, similarity: similarity) : nil
                    }
                    .sorted { $0.similarity > $1.similarity || ($0.similarity == $1.similarity && $0.index < $1.index) }
                }
            }
        }
    }
}
