import Basics

/// DANet's position attention module (Fu et al. 2019, PAM_Module), the spatial stream of DATH.
///
/// Per image, with P = H*W positions:
///   Q = query_conv(x) (C', P), K = key_conv(x) (C', P), V = value_conv(x) (C, P)  (1x1 convs
///   with bias, C' = C/8 by default, at least 1)
///   E = Q^T K (P, P), A = softmax over the last axis (row i: where position i looks)
///   out = gamma * (V A^T) + x, reshaped back to (C, H, W).
/// gamma is a learnable scalar, 0 at initialisation in DANet (the module starts as the identity);
/// `gamma:` sets another start (the gradient checks need gamma != 0 to see Q, K and V).
/// Names as DANet's: "query_conv.weight" (C', C, 1, 1), "query_conv.bias", "key_conv.*",
/// "value_conv.*" (C, C, 1, 1), "gamma" (1).
///
/// Attention map: the mean attention each position receives, mean_i A[i, j], as (N, H, W).
/// Each image's map sums to 1 over its H*W positions (a uniform map is 1/(H*W) everywhere).
public struct PositionAttentionModule: Layer, AttentionMapping {
    public let channels: Int, keyChannels: Int
    public private(set) var queryConv: Conv2d
    public private(set) var keyConv: Conv2d
    public private(set) var valueConv: Conv2d
    /// (1)
    public private(set) var gamma: Tensor
    public private(set) var gammaGrad: Tensor

    public struct Cache {
        let input: Tensor
        let queryCache: Conv2d.Cache, keyCache: Conv2d.Cache, valueCache: Conv2d.Cache
        /// Q, K: (N, C', H, W); V: (N, C, H, W).
        let query: Tensor, key: Tensor, value: Tensor
        /// A: (N, P, P), rows summing to 1.
        let attention: Tensor
        /// V A^T: (N, C, H, W), what gamma scales.
        let attended: Tensor
    }

    /// A module initialised as PyTorch initialises DANet's convs; gamma starts at `gamma`.
    public init(channels: Int, keyChannels: Int? = nil, gamma: Float = 0, generator: inout SeededGenerator) {
        precondition(channels > 0, "PAM needs channels > 0")
        let reduced = keyChannels ?? max(1, channels / 8)
        self.init(queryConv: Conv2d(inChannels: channels, outChannels: reduced, kernelSize: 1, generator: &generator),
                  keyConv: Conv2d(inChannels: channels, outChannels: reduced, kernelSize: 1, generator: &generator),
                  valueConv: Conv2d(inChannels: channels, outChannels: channels, kernelSize: 1, generator: &generator),
                  gamma: gamma)
    }

    /// A module with the given 1x1 convolutions (C -> C', C -> C', C -> C) and gamma.
    public init(queryConv: Conv2d, keyConv: Conv2d, valueConv: Conv2d, gamma: Float) {
        for conv in [queryConv, keyConv, valueConv] {
            precondition(conv.kernelHeight == 1 && conv.kernelWidth == 1 && conv.strideHeight == 1 && conv.strideWidth == 1
                         && conv.padding == .zero && conv.groups == 1, "PAM projections must be plain 1x1 convolutions")
        }
        precondition(queryConv.inChannels == valueConv.inChannels && keyConv.inChannels == valueConv.inChannels
                     && valueConv.outChannels == valueConv.inChannels && queryConv.outChannels == keyConv.outChannels,
                     "PAM projections must be C -> C', C -> C', C -> C")
        channels = valueConv.inChannels
        keyChannels = queryConv.outChannels
        self.queryConv = queryConv
        self.keyConv = keyConv
        self.valueConv = valueConv
        self.gamma = Tensor(shape: [1], scalars: [gamma])
        gammaGrad = .zeros([1])
    }

    /// x: (N,C,H,W) -> (N,C,H,W)
    public func forward(_ input: Tensor, training: Bool) -> (output: Tensor, cache: Cache) {
        let (n, c, h, w) = input.nchw
        precondition(c == channels, "PAM expects \(channels) channels, got input \(input.shape)")
        let positions = h * w, reduced = keyChannels
        let (query, queryCache) = queryConv.forward(input, training: training)
        let (key, keyCache) = keyConv.forward(input, training: training)
        let (value, valueCache) = valueConv.forward(input, training: training)
        var attention = Tensor.zeros([n, positions, positions])
        var attended = Tensor.zeros(like: input)
        let workers = AttentionKernels.workers(images: n, flopsPerImage: positions * positions * (c + reduced))
        Tensor.withShared([query, key, value]) { p in
            attention.withSharedMutable { a in
                attended.withSharedMutable { o in
                    Parallel.forEachRange(count: n, workers: workers) { _, images in
                        for image in images {
                            let q = p[0].base + image * reduced * positions, k = p[1].base + image * reduced * positions
                            let v = p[2].base + image * c * positions
                            let ai = a.base + image * positions * positions, oi = o.base + image * c * positions
                            // E (P, P) = Q^T (P, C') * K (C', P), then the row softmax: A.
                            BLAS.sgemm(transposeA: true, m: positions, n: positions, k: reduced, a: q, lda: positions,
                                       b: k, ldb: positions, beta: 0, c: ai, ldc: positions)
                            AttentionKernels.softmaxRows(ai, rows: positions, columns: positions)
                            // V A^T (C, P) = V (C, P) * A^T (P, P)
                            BLAS.sgemm(transposeB: true, m: c, n: positions, k: positions, a: v, lda: positions,
                                       b: ai, ldb: positions, beta: 0, c: oi, ldc: positions)
                        }
                    }
                }
            }
        }
        let scale = gamma[flat: 0]
        let output = attended.zipMap(input) { o, x in scale * o + x }
        return (output, Cache(input: input, queryCache: queryCache, keyCache: keyCache, valueCache: valueCache,
                              query: query, key: key, value: value, attention: attention, attended: attended))
    }

    /// dy: (N,C,H,W) -> dx: (N,C,H,W); the convs' and gamma's gradients accumulate.
    public mutating func backward(_ gradOutput: Tensor, cache: Cache) -> Tensor {
        let (n, c, h, w) = cache.input.nchw
        precondition(gradOutput.shape == cache.input.shape, "PAM gradient \(gradOutput.shape) for input \(cache.input.shape)")
        let positions = h * w, reduced = keyChannels, scale = gamma[flat: 0]
        var gradQuery = Tensor.zeros(like: cache.query), gradKey = Tensor.zeros(like: cache.key)
        var gradValue = Tensor.zeros(like: cache.value)
        let workers = AttentionKernels.workers(images: n, flopsPerImage: 2 * positions * positions * (c + reduced))
        var gammaParts = Tensor.zeros([workers])
        Tensor.withShared([gradOutput, cache.query, cache.key, cache.value, cache.attention, cache.attended]) { p in
            gradQuery.withSharedMutable { dq in
                gradKey.withSharedMutable { dk in
                    gradValue.withSharedMutable { dv in
                        gammaParts.withSharedMutable { parts in
                            Parallel.forEachRange(count: n, workers: workers) { worker, images in
                                var scratch = [Float](repeating: 0, count: positions * positions)
                                var gammaSum = 0.0
                                scratch.withUnsafeMutableBufferPointer { buffer in
                                    guard let da = buffer.baseAddress else { return }
                                    for image in images {
                                        let dy = p[0].base + image * c * positions
                                        let q = p[1].base + image * reduced * positions, k = p[2].base + image * reduced * positions
                                        let v = p[3].base + image * c * positions
                                        let a = p[4].base + image * positions * positions, o = p[5].base + image * c * positions
                                        // dgamma = sum(dy * V A^T)
                                        gammaSum += Double(BLAS.sdot(c * positions, dy, 1, o, 1))
                                        // dV (C, P) = gamma dy (C, P) * A (P, P)
                                        BLAS.sgemm(m: c, n: positions, k: positions, alpha: scale, a: dy, lda: positions,
                                                   b: a, ldb: positions, beta: 0, c: dv.base + image * c * positions, ldc: positions)
                                        // dA (P, P) = gamma dy^T (P, C) * V (C, P), then the softmax backward: dE.
                                        BLAS.sgemm(transposeA: true, m: positions, n: positions, k: c, alpha: scale, a: dy,
                                                   lda: positions, b: v, ldb: positions, beta: 0, c: da, ldc: positions)
                                        AttentionKernels.softmaxRowsBackward(probabilities: a, gradient: da, rows: positions,
                                                                             columns: positions)
                                        // dQ (C', P) = K (C', P) * dE^T (P, P); dK (C', P) = Q (C', P) * dE (P, P)
                                        BLAS.sgemm(transposeB: true, m: reduced, n: positions, k: positions, a: k, lda: positions,
                                                   b: da, ldb: positions, beta: 0, c: dq.base + image * reduced * positions,
                                                   ldc: positions)
                                        BLAS.sgemm(m: reduced, n: positions, k: positions, a: q, lda: positions,
                                                   b: da, ldb: positions, beta: 0, c: dk.base + image * reduced * positions,
                                                   ldc: positions)
                                    }
                                }
                                parts.base[worker] = Float(gammaSum)
                            }
                        }
                    }
                }
            }
        }
        gammaGrad[flat: 0] += Float(gammaParts.sum())
        var gradInput = gradOutput  // the residual path
        gradInput += queryConv.backward(gradQuery, cache: cache.queryCache)
        gradInput += keyConv.backward(gradKey, cache: cache.keyCache)
        gradInput += valueConv.backward(gradValue, cache: cache.valueCache)
        return gradInput
    }

    /// mean_i A[i, j] for every position j: (N, H, W), in [0, 1], each image's map summing to 1.
    public func attentionMap(_ cache: Cache) -> Tensor {
        let (n, _, h, w) = cache.input.nchw
        let positions = h * w
        var map = Tensor.zeros([n, h, w])
        map.withUnsafeMutableBufferPointer { m in
            cache.attention.withUnsafeBufferPointer { a in
                for image in 0..<n {
                    let column = image * positions
                    for i in 0..<positions {
                        let row = (image * positions + i) * positions
                        for j in 0..<positions { m[column + j] += a[row + j] }
                    }
                    for j in column..<(column + positions) { m[j] /= Float(positions) }
                }
            }
        }
        return map
    }

    public mutating func visitParameters(_ visit: (_ name: String, _ value: inout Tensor, _ gradient: inout Tensor) -> Void) {
        Networks.visitParameters(of: &queryConv, prefix: "query_conv", visit)
        Networks.visitParameters(of: &keyConv, prefix: "key_conv", visit)
        Networks.visitParameters(of: &valueConv, prefix: "value_conv", visit)
        visit("gamma", &gamma, &gammaGrad)
    }
}
