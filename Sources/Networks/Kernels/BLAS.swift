import COpenBLAS

/// Row-major single-precision matrix multiply through OpenBLAS, always on one BLAS thread.
///
/// Networks parallelises by splitting the batch over Swift threads, each calling one-thread
/// BLAS on its chunk; on this machine that beats OpenBLAS's own threading (docs/ARCHITECTURE.md, Platform notes 11), and two
/// threaded BLAS calls at once would oversubscribe the cores. So the first call here sets
/// OpenBLAS to one thread for the process.
enum BLAS {
    /// c (m x n) = alpha * op(a) (m x k) * op(b) (k x n) + beta * c, all row-major with the given
    /// leading dimensions (op = transpose when the flag is set; lda/ldb describe a and b as stored).
    @inline(__always)
    static func sgemm(transposeA: Bool = false, transposeB: Bool = false,
                      m: Int, n: Int, k: Int, alpha: Float = 1,
                      a: UnsafePointer<Float>, lda: Int,
                      b: UnsafePointer<Float>, ldb: Int,
                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            // An empty sum: C = beta * C (BLAS would do the same; said here to skip the call).
            for row in 0..<m {
                let line = c + row * ldc
                for column in 0..<n { line[column] = beta == 0 ? 0 : beta * line[column] }
            }
            return
        }
        _ = oneBLASThread
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// y[i * incy] += alpha * x[i * incx], i < n.
    @inline(__always)
    static func saxpy(_ n: Int, _ alpha: Float, _ x: UnsafePointer<Float>, _ incx: Int = 1,
                      _ y: UnsafeMutablePointer<Float>, _ incy: Int = 1) {
        guard n > 0 else { return }
        _ = oneBLASThread
        cblas_saxpy(Int32(n), alpha, x, Int32(incx), y, Int32(incy))
    }

    /// sum of x[i * incx] * y[i * incy], i < n.
    @inline(__always)
    static func sdot(_ n: Int, _ x: UnsafePointer<Float>, _ incx: Int = 1, _ y: UnsafePointer<Float>, _ incy: Int = 1) -> Float {
        guard n > 0 else { return 0 }
        _ = oneBLASThread
        return cblas_sdot(Int32(n), x, Int32(incx), y, Int32(incy))
    }
}

/// Evaluated once, on the first matrix multiply (a global's lazy, thread-safe initialisation).
private let oneBLASThread: Void = openblas_set_num_threads(1)
