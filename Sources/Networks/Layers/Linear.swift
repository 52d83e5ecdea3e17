import Basics
/// A fully connected layer, PyTorch's nn.Linear: y = x W^T + b with weight (out, in), bias (out).
public struct Linear: Layer {
    public let inFeatures: Int, outFeatures: Int
    /// (out, in)
    public private(set) var weight: Tensor
    /// (out), or nil for bias=False.
    public private(set) var bias: Tensor?
    public private(set) var weightGrad: Tensor
    public private(set) var biasGrad: Tensor?

    /// Initialised as PyTorch does: weight and bias uniform in +-1/sqrt(in).
    public init(inFeatures: Int, outFeatures: Int, bias: Bool = true, generator: inout SeededGenerator) {
        let bound = 1 / Float(inFeatures).squareRoot()
        let weight = Tensor.randomUniform([outFeatures, inFeatures], low: -bound, high: bound, generator: &generator)
        let biasValues = bias ? Tensor.randomUniform([outFeatures], low: -bound, high: bound, generator: &generator) : nil
        self.init(weight: weight, bias: biasValues)
    }

    /// A layer with the given weight (out, in) and bias (out).
    public init(weight: Tensor, bias: Tensor?) {
        precondition(weight.rank == 2, "linear weight must be (out, in), got \(weight.shape)")
        precondition(bias == nil || bias?.shape == [weight.shape[0]], "linear bias must be (\(weight.shape[0]))")
        outFeatures = weight.shape[0]
        inFeatures = weight.shape[1]
        self.weight = weight
        self.bias = bias
        weightGrad = .zeros(like: weight)
        biasGrad = bias.map { .zeros(like: $0) }
    }

    /// x: (N, in) -> (N, out); the cache is the input.
    public func forward(_ input: Tensor, training: Bool) -> (output: Tensor, cache: Tensor) {
        precondition(input.rank == 2 && input.shape[1] == inFeatures, "Linear(\(inFeatures), \(outFeatures)) got input \(input.shape)")
        let n = input.shape[0], outFeatures = self.outFeatures, inFeatures = self.inFeatures
        var output = Tensor.zeros([n, outFeatures])
        Tensor.withShared([input, weight]) { p in
            output.withSharedMutable { y in
                let workers = Parallel.workerCount(for: n * outFeatures * inFeatures, minimumPerWorker: 1 << 20)
                Parallel.forEachRange(count: n, workers: min(workers, max(1, n))) { _, rows in
                    guard !rows.isEmpty else { return }
                    // y_rows (r, out) = x_rows (r, in) * W^T (in, out)
                    BLAS.sgemm(transposeB: true, m: rows.count, n: outFeatures, k: inFeatures,
                               a: p[0].base + rows.lowerBound * inFeatures, lda: inFeatures,
                               b: p[1].base, ldb: inFeatures, beta: 0,
                               c: y.base + rows.lowerBound * outFeatures, ldc: outFeatures)
                }
            }
        }
        if let bias {
            output.withUnsafeMutableBufferPointer { y in
                bias.withUnsafeBufferPointer { b in
                    for row in 0..<n {
                        for j in 0..<outFeatures { y[row * outFeatures + j] += b[j] }
                    }
                }
            }
        }
        return (output, input)
    }

    /// dy: (N, out) -> dx: (N, in); dW (out, in) += dy^T x, db (out) += column sums of dy.
    public mutating func backward(_ gradOutput: Tensor, cache input: Tensor) -> Tensor {
        let n = input.shape[0], outFeatures = self.outFeatures, inFeatures = self.inFeatures
        precondition(gradOutput.shape == [n, outFeatures], "Linear gradient \(gradOutput.shape) for output (\(n), \(outFeatures))")
        var gradInput = Tensor.zeros(like: input)
        let workers = Parallel.workerCount(for: n * outFeatures * inFeatures, minimumPerWorker: 1 << 20)
        Tensor.withShared([gradOutput, input, weight]) { p in
            let dy = p[0], x = p[1], w = p[2]
            gradInput.withSharedMutable { dx in
                weightGrad.withSharedMutable { dw in
                    // Workers split dx by rows and dW by output features: disjoint writes.
                    Parallel.forEachRange(count: workers, workers: workers) { worker, _ in
                        let rows = Parallel.range(worker, of: workers, count: n)
                        if !rows.isEmpty {
                            // dx_rows (r, in) = dy_rows (r, out) * W (out, in)
                            BLAS.sgemm(m: rows.count, n: inFeatures, k: outFeatures,
                                       a: dy.base + rows.lowerBound * outFeatures, lda: outFeatures,
                                       b: w.base, ldb: inFeatures, beta: 0,
                                       c: dx.base + rows.lowerBound * inFeatures, ldc: inFeatures)
                        }
                        let features = Parallel.range(worker, of: workers, count: outFeatures)
                        if !features.isEmpty {
                            // dW_features (f, in) += dy[:, features]^T (f, N) * x (N, in)
                            BLAS.sgemm(transposeA: true, m: features.count, n: inFeatures, k: n,
                                       a: dy.base + features.lowerBound, lda: outFeatures,
                                       b: x.base, ldb: inFeatures, beta: 1,
                                       c: dw.base + features.lowerBound * inFeatures, ldc: inFeatures)
                        }
                    }
                }
            }
        }
        if biasGrad != nil {
            gradOutput.withUnsafeBufferPointer { dy in
                biasGrad!.withUnsafeMutableBufferPointer { db in
                    for row in 0..<n {
                        for j in 0..<outFeatures { db[j] += dy[row * outFeatures + j] }
                    }
                }
            }
        }
        return gradInput
    }

    public mutating func visitParameters(_ visit: (_ name: String, _ value: inout Tensor, _ gradient: inout Tensor) -> Void) {
        visit("weight", &weight, &weightGrad)
        if bias != nil, biasGrad != nil { visit("bias", &bias!, &biasGrad!) }
    }
}
