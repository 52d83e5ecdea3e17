/// The bit-balance regulariser of DFEH: each bit should be +1 on half of the data and -1 on the
/// other half, so its mean over the batch should be 0. The penalty is the squared mean:
///     B = sum_k ( (1/N) sum_i b_ik )^2
/// summed over the bits, each bit's mean taken over the N images of the batch. B = 0 for a
/// perfectly balanced batch and `bits` when every image has the same +-1 code.
///
/// Gradient: dB/db_ik = 2 * mean_k / N, with mean_k = (1/N) sum_i b_ik.
public enum BitBalanceLoss {
    /// codes: (N, bits) -> B and dB/d(codes) (N, bits).
    public static func lossAndGradient(codes: Tensor) -> (loss: Float, gradient: Tensor) {
        var batch = HashCodeBatch(codes, "bit-balance loss")
        let loss = accumulate(into: &batch, weight: 1)
        return (Float(loss), batch.gradientTensor)
    }

    /// Adds weight * dB/d(codes) into `batch.gradient`; returns B (unweighted).
    static func accumulate(into batch: inout HashCodeBatch, weight: Double) -> Double {
        let n = batch.count, bits = batch.bits
        var means = [Double](repeating: 0, count: bits)
        for i in 0..<n {
            for k in 0..<bits { means[k] += batch.values[i * bits + k] }
        }
        var total = 0.0
        for k in 0..<bits {
            means[k] /= Double(n)
            total += means[k] * means[k]
        }
        for i in 0..<n {
            for k in 0..<bits { batch.gradient[i * bits + k] += weight * 2 * means[k] / Double(n) }
        }
        return total
    }
}
