/// DFEH's training objective (deep feature-enhancement hashing; docs/ARCHITECTURE.md, Definitions: the methods): the
/// DSH/DAH pairwise contrastive loss, the quantization regulariser, and a bit-balance term so
/// that each bit is +1 on half of the data:
///     L = C + alpha * Q + beta * B
/// with, for codes b: (N, bits),
///     C = (1/P) sum_{i<j} [ s_ij 1/2 ||b_i - b_j||^2 + (1 - s_ij) 1/2 max(m - ||b_i - b_j||^2, 0) ]
///         (`PairwiseContrastiveLoss`, mean over the P = N(N-1)/2 pairs),
///     Q = (1/N) sum_i sum_k | |b_ik| - 1 |                      (`QuantizationLoss`),
///     B = sum_k ( (1/N) sum_i b_ik )^2                           (`BitBalanceLoss`).
/// Defaults: m = 2 * bits and alpha = 0.01 as DSH; beta = 0.1 is this project's choice (the seed
/// gives no value; tune it like the others). B is at most `bits` for codes in [-1, 1].
public struct DFEHLoss: Sendable {
    /// The contrastive part (its margin, bits and quantization weight alpha).
    public var contrastive: PairwiseContrastiveLoss
    /// beta: the weight of the bit-balance term.
    public var balanceWeight: Float

    public init(bits: Int, margin: Float? = nil, quantizationWeight: Float = 0.01, balanceWeight: Float = 0.1) {
        contrastive = PairwiseContrastiveLoss(bits: bits, margin: margin, quantizationWeight: quantizationWeight)
        self.balanceWeight = balanceWeight
    }

    /// codes: (N, bits), labels: N images -> scalar L and dL/d(codes) (N, bits).
    public func lossAndGradient(codes: Tensor, labels: BatchLabels) -> (loss: Float, gradient: Tensor) {
        var batch = HashCodeBatch(codes, "DFEH loss")
        let contrastiveAndQuantization = contrastive.accumulate(into: &batch, labels: labels)
        let balance = BitBalanceLoss.accumulate(into: &batch, weight: Double(balanceWeight))
        return (Float(contrastiveAndQuantization + Double(balanceWeight) * balance), batch.gradientTensor)
    }
}
