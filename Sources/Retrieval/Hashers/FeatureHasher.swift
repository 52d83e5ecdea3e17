import COpenBLAS

/// A shallow hasher over float features (the seeds' baselines: LSH, PCAH, ITQ). All three are
/// linear: code bit j of a row x is 1 where ((x - mean) · projection)[j] >= 0. The trained
/// parameters are exposed so an index file can store them and `LinearHasher` can restore them.
public protocol FeatureHasher: Sendable {
    /// Short name for files and tables: "lsh", "pcah", "itq".
    var kind: String { get }
    var bits: Int { get }
    /// The feature width D the hasher was trained on.
    var dimension: Int { get }
    /// Subtracted before projecting: (D). Zeros for an uncentred LSH.
    var mean: [Float] { get }
    /// (D, bits), row-major: column j is the direction of bit j.
    var projection: [Float] { get }
}

extension FeatureHasher {
    /// The real-valued projections whose signs are the codes.
    // x: (N,D) -> (N,bits)
    public func project(_ features: FeatureMatrix) throws(HasherError) -> [Float] {
        try checkDimension(features)
        var out = [Float](repeating: 0, count: features.rows * bits)
        out.withUnsafeMutableBufferPointer { out in
            LinearProjection.forEachChunk(features, mean: mean, projection: projection, bits: bits) { start, rows, values in
                _ = UnsafeMutableBufferPointer(rebasing: out[start * bits ..< (start + rows) * bits])
                    .initialize(from: values)
            }
        }
        return out
    }

    /// Packed codes: bit 1 where the projection is >= 0.
    // x: (N,D) -> N codes of `bits`
    public func encode(_ features: FeatureMatrix) throws(HasherError) -> BinaryCodes {
        try checkDimension(features)
        let bits = bits, wordsPerCode = (bits + 63) / 64
        let buffer = CodeBuffer.make(wordCount: features.rows * wordsPerCode) { words in
            LinearProjection.forEachChunk(features, mean: mean, projection: projection, bits: bits) { start, rows, values in
                for r in 0..<rows {
                    let base = (start + r) * wordsPerCode
                    for j in 0..<bits where values[r * bits + j] >= 0 {
                        words[base + j / 64] |= 1 << UInt64(j % 64)
                    }
                }
            }
        }
        return BinaryCodes(bits: bits, count: features.rows, buffer: buffer)
    }

    private func checkDimension(_ features: FeatureMatrix) throws(HasherError) {
        guard features.dimension == dimension else {
            throw .dimensionMismatch(expected: dimension, got: features.dimension)
        }
    }
}

/// The one kernel all linear hashers share.
enum LinearProjection {
    /// Rows per sgemm: bounds the centred copy and the output to a few MB whatever N is.
    static let chunkRows = 4096

    /// Calls `body(firstRow, rowCount, projections)` for consecutive chunks of rows.
    // x: (N,D), mean: (D), projection: (D,bits) -> chunks of (rows,bits)
    static func forEachChunk(_ features: FeatureMatrix, mean: [Float], projection: [Float], bits: Int,
                             _ body: (Int, Int, UnsafeBufferPointer<Float>) -> Void) {
        let d = features.dimension
        precondition(mean.count == d && projection.count == d * bits)
        let capacity = min(chunkRows, features.rows)
        guard capacity > 0 else { return }
        var centred = [Float](repeating: 0, count: capacity * d)
        var out = [Float](repeating: 0, count: capacity * bits)
        features.values.withUnsafeBufferPointer { x in
            var start = 0
            while start < features.rows {
                let rows = min(chunkRows, features.rows - start)
                // Centre explicitly (not x·P - mean·P): the sign then matches (x - mean)·P as a
                // reference computes it, which matters for values near zero.
                for r in 0..<rows {
                    let src = (start + r) * d, dst = r * d
                    for c in 0..<d { centred[dst + c] = x[src + c] - mean[c] }
                }
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(bits), Int32(d),
                            1, centred, Int32(d), projection, Int32(bits), 0, &out, Int32(bits))
                out.withUnsafeBufferPointer { body(start, rows, UnsafeBufferPointer(rebasing: $0[0 ..< rows * bits])) }
                start += rows
            }
        }
    }

    /// Column means of `x`, accumulated in Double.
    // x: (N,D) -> (D)
    static func columnMeans(_ features: FeatureMatrix) -> [Float] {
        let d = features.dimension
        var sums = [Double](repeating: 0, count: d)
        features.values.withUnsafeBufferPointer { x in
            for r in 0..<features.rows {
                for c in 0..<d { sums[c] += Double(x[r * d + c]) }
            }
        }
        return sums.map { Float($0 / Double(max(1, features.rows))) }
    }

    /// Checks what every hasher needs of its code length.
    static func validate(bits: Int, dimension: Int, requireBitsWithinDimension: Bool) throws(HasherError) {
        guard BinaryCodes.bitRange.contains(bits) else { throw .unsupportedBits(bits: bits) }
        if requireBitsWithinDimension && bits > dimension {
            throw .bitsExceedDimension(bits: bits, dimension: dimension)
        }
    }
}
