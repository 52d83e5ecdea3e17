import Basics
import COpenBLAS

/// Iterative quantization (ITQ; Gong & Lazebnik, CVPR 2011): PCA to `bits` dimensions, then an
/// orthogonal rotation R that makes the rotated data V·R as close as possible to its signs,
/// minimising the quantization loss ||B - V·R||_F^2 by alternating
///   B = sign(V·R)                        (best codes for a fixed rotation)
///   R = U_A · U_B^T, where B^T·V = U_B S U_A^T  (orthogonal Procrustes for fixed codes)
/// as in the authors' MATLAB code. Neither step can raise the loss, so it never increases.
public struct ITQHasher: FeatureHasher, Equatable {
    public var kind: String { "itq" }
    public let bits: Int
    public let dimension: Int
    public let mean: [Float]
    /// (D, bits) row-major: the PCA directions times the rotation, so encoding is one sgemm.
    public let projection: [Float]
    /// (bits, bits) row-major, orthogonal.
    public let rotation: [Float]
    /// ||sign(V·R) - V·R||_F^2 for the initial rotation and after each iteration
    /// (`iterations + 1` values, non-increasing).
    public let quantizationLosses: [Double]
    public let iterations: Int
    public let seed: UInt64

    public static let defaultIterations = 50

    /// Trains on `features` (N >= 2 rows, bits <= D). The initial rotation is a random
    /// orthogonal matrix (left singular vectors of a Gaussian matrix drawn from `seed`).
    // x: (N,D) -> projection (D,bits)
    public init(training features: FeatureMatrix, bits: Int, iterations: Int = ITQHasher.defaultIterations,
                seed: UInt64 = 0) throws(HasherError) {
        try LinearProjection.validate(bits: bits, dimension: features.dimension, requireBitsWithinDimension: true)
        guard iterations >= 0 else { throw .invalidParameters("iterations \(iterations) must be >= 0") }
        let pca = try PrincipalComponents(fitting: features, components: bits)
        let n = features.rows, b = bits

        // V: (N,D) -> (N,bits), the centred data in PCA coordinates.
        var v = [Float](repeating: 0, count: n * b)
        LinearProjection.forEachChunk(features, mean: pca.mean, projection: pca.directions, bits: b) { start, rows, values in
            for i in 0..<rows * b { v[start * b + i] = values[i] }
        }

        var generator = SeededGenerator(seed: seed)
        var gaussian = generator.normals(count: b * b)
        var rotation = try Lapack.svd(&gaussian, rows: b, columns: b).u

        var z = [Float](repeating: 0, count: n * b)      // V·R
        var signs = [Float](repeating: 0, count: n * b)  // B, as ±1
        var c = [Float](repeating: 0, count: b * b)      // B^T·V
        var losses: [Double] = []
        for iteration in 0...iterations {
            // (N,bits)(bits,bits) -> (N,bits)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(b), Int32(b),
                        1, v, Int32(b), rotation, Int32(b), 0, &z, Int32(b))
            var loss = 0.0
            for i in 0..<n * b {
                let sign: Float = z[i] >= 0 ? 1 : -1
                signs[i] = sign
                let e = Double(sign) - Double(z[i])
                loss += e * e
            }
            losses.append(loss)
            if iteration == iterations { break }
            // (N,bits)^T (N,bits) -> (bits,bits)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(b), Int32(b), Int32(n),
                        1, signs, Int32(b), v, Int32(b), 0, &c, Int32(b))
            let svd = try Lapack.svd(&c, rows: b, columns: b)
            // R = U_A U_B^T = (Vt)^T U^T
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasTrans, Int32(b), Int32(b), Int32(b),
                        1, svd.vt, Int32(b), svd.u, Int32(b), 0, &rotation, Int32(b))
        }

        // (D,bits)(bits,bits) -> (D,bits)
        let d = features.dimension
        var projection = [Float](repeating: 0, count: d * b)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(d), Int32(b), Int32(b),
                    1, pca.directions, Int32(b), rotation, Int32(b), 0, &projection, Int32(b))
        self.bits = bits
        self.dimension = d
        self.mean = pca.mean
        self.projection = projection
        self.rotation = rotation
        self.quantizationLosses = losses
        self.iterations = iterations
        self.seed = seed
    }
}
