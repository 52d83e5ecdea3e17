import Basics
/// DANet's channel attention module (Fu et al. 2019, CAM_Module), the channel stream of DATH.
///
/// Per image, with X the input seen as (C, P), P = H*W:
///   E = X X^T (C, C), E' = max_j E[i, j] - E (DANet's "energy_new", row by row),
///   A = softmax of E' over the last axis, out = gamma * (A X) + x.
/// gamma is a learnable scalar, 0 at initialisation in DANet; `gamma:` sets another start.
/// The module has no other parameters. Name: "gamma" (1).
///
/// Gradient: softmax is unchanged by adding a constant to a row, so the row maximum's share of
/// the gradient is exactly 0 (sum_j dL/dE'_ij = 0); backward uses dL/dE = -dL/dE' only, which is
/// what PyTorch's autograd computes up to rounding.
///
/// Attention map: CAM mixes channels, not positions, so its map is the channel-weighted mean
/// activation: mean over channels of A X, (N, H, W). It equals sum_c w_c X[c] with w_c the mean
/// attention channel c receives (mean_i A[i, c], summing to 1): the positions where the channels
/// CAM favours are active. Its range is that of the activations (not [0, 1]).
public struct ChannelAttentionModule: Layer, AttentionMapping {
    /// (1)
    public private(set) var gamma: Tensor
    public private(set) var gammaGrad: Tensor

    public struct Cache {
        let input: Tensor
        /// A: (N, C, C), rows summing to 1.
        let attention: Tensor
        /// A X: (N, C, H, W), what gamma scales.
        let attended: Tensor
    }

    public init(gamma: Float = 0) {
        self.gamma = Tensor(shape: [1], scalars: [gamma])
        gammaGrad = .zeros([1])
    }

    /// x: (N,C,H,W) -> (N,C,H,W)
    public func forward(_ input: Tensor, training: Bool) -> (output: Tensor, cache: Cache) {
        let (n, c, h, w) = input.nchw
        let positions = h * w
        var attention = Tensor.zeros([n, c, c])
        var attended = Tensor.zeros(like: input)
        let workers = AttentionKernels.workers(images: n, flopsPerImage: 2 * c * c * positions)
        Tensor.withShared([input]) { p in
            attention.withSharedMutable { a in
                attended.withSharedMutable { o in
                    Parallel.forEachRange(count: n, workers: workers) { _, images in
                        for image in images {
                            let x = p[0].base + image * c * positions
                            let ai = a.base + image * c * c
                            // E (C, C) = X (C, P) * X^T (P, C)
                            BLAS.sgemm(transposeB: true, m: c, n: c, k: positions, a: x, lda: positions,
                                       b: x, ldb: positions, beta: 0, c: ai, ldc: c)
                            // E' = rowmax(E) - E, then the row softmax: A.
                            for row in 0..<c {
                                let line = ai + row * c
                                var largest = line[0]
                                for j in 1..<max(1, c) { largest = max(largest, line[j]) }
                                for j in 0..<c { line[j] = largest - line[j] }
                            }
                            AttentionKernels.softmaxRows(ai, rows: c, columns: c)
                            // A X (C, P) = A (C, C) * X (C, P)
                            BLAS.sgemm(m: c, n: positions, k: c, a: ai, lda: c, b: x, ldb: positions, beta: 0,
                                       c: o.base + image * c * positions, ldc: positions)
                        }
                    }
                }
            }
        }
        let scale = gamma[flat: 0]
        let output = attended.zipMap(input) { o, x in scale * o + x }
        return (output, Cache(input: input, attention: attention, attended: attended))
    }

    /// dy: (N,C,H,W) -> dx: (N,C,H,W); gamma's gradient accumulates.
    public mutating func backward(_ gradOutput: Tensor, cache: Cache) -> Tensor {
        let (n, c, h, w) = cache.input.nchw
        precondition(gradOutput.shape == cache.input.shape, "CAM gradient \(gradOutput.shape) for input \(cache.input.shape)")
        let positions = h * w, scale = gamma[flat: 0]
        var gradInput = gradOutput  // the residual path; the attention's share is added below
        let workers = AttentionKernels.workers(images: n, flopsPerImage: 4 * c * c * positions)
        var gammaParts = Tensor.zeros([workers])
        Tensor.withShared([gradOutput, cache.input, cache.attention, cache.attended]) { p in
            gradInput.withSharedMutable { dx in
                gammaParts.withSharedMutable { parts in
                    Parallel.forEachRange(count: n, workers: workers) { worker, images in
                        var scratch = [Float](repeating: 0, count: c * c)
                        var gammaSum = 0.0
                        scratch.withUnsafeMutableBufferPointer { buffer in
                            guard let da = buffer.baseAddress else { return }
                            for image in images {
                                let dy = p[0].base + image * c * positions, x = p[1].base + image * c * positions
                                let a = p[2].base + image * c * c, o = p[3].base + image * c * positions
                                let dxi = dx.base + image * c * positions
                                // dgamma = sum(dy * A X)
                                gammaSum += Double(BLAS.sdot(c * positions, dy, 1, o, 1))
                                // dX += gamma A^T (C, C) * dy (C, P): X as the right factor of A X.
                                BLAS.sgemm(transposeA: true, m: c, n: positions, k: c, alpha: scale, a: a, lda: c,
                                           b: dy, ldb: positions, beta: 1, c: dxi, ldc: positions)
                                // dA (C, C) = gamma dy (C, P) * X^T (P, C), then the softmax backward: dE'.
                                BLAS.sgemm(transposeB: true, m: c, n: c, k: positions, alpha: scale, a: dy, lda: positions,
                                           b: x, ldb: positions, beta: 0, c: da, ldc: c)
                                AttentionKernels.softmaxRowsBackward(probabilities: a, gradient: da, rows: c, columns: c)
                                // dE = -dE'; E = X X^T gives dX += (dE + dE^T) X = -(dE' + dE'^T) X.
                                for i in 0..<c {
                                    for j in i..<c {
                                        let sum = da[i * c + j] + da[j * c + i]
                                        da[i * c + j] = sum
                                        da[j * c + i] = sum
                                    }
                                }
                                BLAS.sgemm(m: c, n: positions, k: c, alpha: -1, a: da, lda: c, b: x, ldb: positions,
                                           beta: 1, c: dxi, ldc: positions)
                            }
                        }
                        parts.base[worker] = Float(gammaSum)
                    }
                }
            }
        }
        gammaGrad[flat: 0] += Float(gammaParts.sum())
        return gradInput
    }

    /// false: the map shows a channel attention's effect on the grid, not weights over positions.
    public var weighsPositions: Bool { false }

    /// mean over channels of A X: (N, H, W), in the activations' range.
    public func attentionMap(_ cache: Cache) -> Tensor {
        let (n, c, h, w) = cache.input.nchw
        let positions = h * w
        var map = Tensor.zeros([n, h, w])
        map.withUnsafeMutableBufferPointer { m in
            cache.attended.withUnsafeBufferPointer { o in
                for image in 0..<n {
                    for channel in 0..<c {
                        let row = (image * c + channel) * positions
                        for j in 0..<positions { m[image * positions + j] += o[row + j] }
                    }
                    for j in (image * positions)..<((image + 1) * positions) { m[j] /= Float(c) }
                }
            }
        }
        return map
    }

    public mutating func visitParameters(_ visit: (_ name: String, _ value: inout Tensor, _ gradient: inout Tensor) -> Void) {
        visit("gamma", &gamma, &gammaGrad)
    }
}
