/// The quantization regulariser of DSH (Liu et al., "Deep Supervised Hashing for Fast Image
/// Retrieval", CVPR 2016, eq. 4: alpha * || |b| - 1 ||_1), also DAH's, DFEH's and DATH's
/// gamma * sum | |h| - 1 |: it pulls every real-valued code element towards -1 or +1 so that
/// taking the sign loses little.
///
/// Batch convention: summed over the bits of each image, averaged over the N images,
///     Q = (1/N) sum_i sum_k | |b_ik| - 1 |,
/// so the weight means the same at every batch size (DSH's per-pair sum counts each image once
/// per pair it is in; DeepHash-pytorch averages over N * bits instead, which is Q / bits).
///
/// Gradient: dQ/db_ik = sign(|b_ik| - 1) * sign(b_ik) / N. The kinks at b = 0 and |b| = 1 take
/// the subgradient 0 (sign(0) = 0), as PyTorch's abs does at 0.
public enum QuantizationLoss {
    /// codes: (N, bits) -> Q and dQ/d(codes) (N, bits).
    public static func lossAndGradient(codes: Tensor) -> (loss: Float, gradient: Tensor) {
        var batch = HashCodeBatch(codes, "quantization loss")
        let loss = accumulate(into: &batch, weight: 1)
        return (Float(loss), batch.gradientTensor)
    }

    /// Adds weight * dQ/d(codes) into `batch.gradient`; returns Q (unweighted).
    static func accumulate(into batch: inout HashCodeBatch, weight: Double) -> Double {
        let perImage = 1 / Double(batch.count)
        var total = 0.0
        for index in 0..<batch.values.count {
            let b = batch.values[index]
            let excess = abs(b) - 1
            total += abs(excess)
            batch.gradient[index] += weight * perImage * sign(excess) * sign(b)
        }
        return total * perImage
    }

    @inline(__always)
    private static func sign(_ x: Double) -> Double { x > 0 ? 1 : (x < 0 ? -1 : 0) }
}
