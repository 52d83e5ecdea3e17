import COpenBLAS

/// L2-normalised feature rows, so cosine similarity is a dot product. LSH re-ranking and
/// exact search share this store and `similarity`, so the two give bit-identical scores and
/// identical tie order, which the "equal to exact at maximum probes" guarantee rests on.
struct UnitFeatures: Sendable {
    let dimension: Int
    /// (count, D) row-major, each row of unit length (or all zero for a zero input row).
    private(set) var values: [Float] = []

    init(dimension: Int) {
        precondition(dimension > 0)
        self.dimension = dimension
    }

    var count: Int { values.count / dimension }

    /// Checks width and finiteness, then normalises each row (norm accumulated in Double).
    // x: (N,D) -> (N,D)
    static func normalise(_ features: FeatureMatrix, dimension: Int) throws(FeatureSearchError) -> [Float] {
        guard features.dimension == dimension else {
            throw .dimensionMismatch(expected: dimension, got: features.dimension)
        }
        var out = features.values
        for r in 0..<features.rows {
            var sum = 0.0
            for c in 0..<dimension {
                let x = out[r * dimension + c]
                guard x.isFinite else { throw .nonFiniteFeature(row: r) }
                sum += Double(x) * Double(x)
            }
            // A zero row stays zero: cosine 0 with everything.
            guard sum > 0 else { continue }
            let norm = sum.squareRoot()
            for c in 0..<dimension { out[r * dimension + c] = Float(Double(out[r * dimension + c]) / norm) }
        }
        return out
    }

    mutating func append(normalised rows: [Float]) {
        precondition(rows.count % dimension == 0)
        values += rows
    }

    /// Cosine similarity of a normalised query and stored row `id`.
    @inline(__always)
    static func similarity(_ query: UnsafePointer<Float>, _ stored: UnsafePointer<Float>, id: Int, dimension: Int) -> Float {
        cblas_sdot(Int32(dimension), query, 1, stored + id * dimension, 1)
    }
}
