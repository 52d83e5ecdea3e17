import COpenBLAS

/// The top principal directions of a feature matrix: the eigenvectors of the sample covariance
/// (divided by N - 1, like numpy's `np.cov`) with the largest eigenvalues. PCAH and ITQ start
/// here.
struct PrincipalComponents: Sendable {
    let mean: [Float]                 // (D)
    /// (D, components) row-major: column j is the j-th direction, unit length.
    let directions: [Float]
    /// Descending, one per direction: the variance of the data along it.
    let eigenvalues: [Float]

    /// Rows per ssyrk call: bounds the centred copy whatever N is.
    static let chunkRows = 4096

    // x: (N,D) -> mean (D), directions (D,components), eigenvalues (components)
    init(fitting features: FeatureMatrix, components: Int) throws(HasherError) {
        let n = features.rows, d = features.dimension
        precondition(components > 0 && components <= d)
        guard n >= 2 else { throw .tooFewTrainingRows(rows: n, needed: 2) }
        guard features.values.allSatisfy(\.isFinite) else { throw .nonFiniteFeatures }
        let mean = LinearProjection.columnMeans(features)

        // Covariance: C = Xc^T Xc / (N - 1), upper triangle, accumulated chunk by chunk.
        var covariance = [Float](repeating: 0, count: d * d)
        var centred = [Float](repeating: 0, count: min(n, Self.chunkRows) * d)
        features.values.withUnsafeBufferPointer { x in
            var start = 0
            while start < n {
                let rows = min(Self.chunkRows, n - start)
                for r in 0..<rows {
                    for c in 0..<d { centred[r * d + c] = x[(start + r) * d + c] - mean[c] }
                }
                // (rows,D)^T (rows,D) -> (D,D)
                cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(d), Int32(rows),
                            1 / Float(n - 1), centred, Int32(d), start == 0 ? 0 : 1, &covariance, Int32(d))
                start += rows
            }
        }

        let (values, vectors) = try Lapack.symmetricEigen(&covariance, n: d)
        guard values.allSatisfy(\.isFinite) else { throw .lapackFailed(routine: "ssyev", info: d + 1) }
        // Eigenvalues come ascending: take the last `components`, largest first.
        var directions = [Float](repeating: 0, count: d * components)
        var eigenvalues: [Float] = []
        for j in 0..<components {
            let k = d - 1 - j
            let v = vectors[k * d ..< (k + 1) * d]
            // An eigenvector's sign is arbitrary; fix it (largest-magnitude entry positive,
            // first on ties) so the codes do not depend on the LAPACK build.
            var pivot = v.startIndex
            for i in v.indices where abs(v[i]) > abs(v[pivot]) { pivot = i }
            let sign: Float = v[pivot] < 0 ? -1 : 1
            for (i, value) in v.enumerated() { directions[i * components + j] = sign * value }
            eigenvalues.append(values[k])
        }
        self.mean = mean
        self.directions = directions
        self.eigenvalues = eigenvalues
    }
}
