import COpenBLAS

/// The two LAPACK routines the hashers need, called through libopenblas's Fortran symbols,
/// with row-major inputs and outputs. LAPACK is column-major: a row-major matrix is the
/// column-major view of its transpose, which these wrappers use instead of copying.
enum Lapack {
    /// Eigen-decomposition of a symmetric n x n matrix of which (at least) the upper triangle,
    /// row-major, is filled; `a` is overwritten.
    /// Returns eigenvalues ascending and the eigenvectors as rows:
    /// `vectors[k*n ..< (k+1)*n]` belongs to `values[k]`.
    static func symmetricEigen(_ a: inout [Float], n: Int) throws(HasherError) -> (values: [Float], vectors: [Float]) {
        precondition(n > 0 && a.count == n * n)
        // Row-major upper = column-major lower ("L"); the column-major eigenvector columns
        // come back contiguous, i.e. as rows of the row-major result.
        var n32 = Int32(n), lda = Int32(n), info: Int32 = 0
        var values = [Float](repeating: 0, count: n)
        var lwork: Int32 = -1
        var query: Float = 0
        ssyev_("V", "L", &n32, &a, &lda, &values, &query, &lwork, &info)  // workspace query
        guard info == 0 else { throw .lapackFailed(routine: "ssyev", info: Int(info)) }
        lwork = Int32(max(1, Int(query)))
        var work = [Float](repeating: 0, count: Int(lwork))
        ssyev_("V", "L", &n32, &a, &lda, &values, &work, &lwork, &info)
        guard info == 0 else { throw .lapackFailed(routine: "ssyev", info: Int(info)) }
        return (values, a)
    }

    /// Full SVD of an m x n row-major matrix `a` = U diag(s) Vt, with U (m,m) and Vt (n,n)
    /// row-major and s descending (min(m,n) values). `a` is overwritten.
    static func svd(_ a: inout [Float], rows m: Int, columns n: Int) throws(HasherError) -> (u: [Float], s: [Float], vt: [Float]) {
        precondition(m > 0 && n > 0 && a.count == m * n)
        // Column-major, the buffer is A^T (n x m) = V S U^T: LAPACK's "U" is our V (whose
        // column-major storage is Vt row-major), its "VT" is our U^T (storage: U row-major).
        var rows32 = Int32(n), cols32 = Int32(m), lda = Int32(n)
        var ldu = Int32(n), ldvt = Int32(m), info: Int32 = 0
        var s = [Float](repeating: 0, count: min(m, n))
        var vt = [Float](repeating: 0, count: n * n)
        var u = [Float](repeating: 0, count: m * m)
        var lwork: Int32 = -1
        var query: Float = 0
        sgesvd_("A", "A", &rows32, &cols32, &a, &lda, &s, &vt, &ldu, &u, &ldvt, &query, &lwork, &info)
        guard info == 0 else { throw .lapackFailed(routine: "sgesvd", info: Int(info)) }
        lwork = Int32(max(1, Int(query)))
        var work = [Float](repeating: 0, count: Int(lwork))
        sgesvd_("A", "A", &rows32, &cols32, &a, &lda, &s, &vt, &ldu, &u, &ldvt, &work, &lwork, &info)
        guard info == 0 else { throw .lapackFailed(routine: "sgesvd", info: Int(info)) }
        return (u, s, vt)
    }
}
