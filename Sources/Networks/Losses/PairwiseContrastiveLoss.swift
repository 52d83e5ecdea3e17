/// The pairwise contrastive loss with a margin of DSH (Liu et al., "Deep Supervised Hashing for
/// Fast Image Retrieval", CVPR 2016, eq. 4), which DAH trains with: codes of similar images are
/// pulled together, codes of dissimilar images pushed until their squared distance reaches the
/// margin m, plus DSH's quantization regulariser.
///
/// For real-valued codes b: (N, bits) and the P = N(N-1)/2 unordered pairs i < j of the batch,
/// with s_ij = 1 when i and j share a label (`BatchLabels.similarityMatrix`) and
/// D_ij = ||b_i - b_j||^2:
///     L = (1/P) sum_{i<j} [ s_ij * 1/2 D_ij + (1 - s_ij) * 1/2 max(m - D_ij, 0) ]
///         + alpha * (1/N) sum_i || |b_i| - 1 ||_1                  (`QuantizationLoss`)
/// The pair term is AVERAGED over all P pairs (similar and dissimilar alike; a batch of one
/// image has no pair and the term is 0), the quantization term over the N images. DSH's
/// defaults: m = 2 * bits (the squared distance of two opposite +-1 codes is 4 * bits, so the
/// margin asks for half of the bits to differ), alpha = 0.01.
///
/// Gradient of the pair term, with d = b_i - b_j:
///     similar:                     dL/db_i = d / P,  dL/db_j = -d / P
///     dissimilar, D_ij < m:        dL/db_i = -d / P, dL/db_j =  d / P
///     dissimilar, D_ij >= m:       0 (the kink at D = m takes the inactive side).
public struct PairwiseContrastiveLoss: Sendable {
    /// The code length the margin was chosen for; codes of another width are rejected.
    public let bits: Int
    /// m: dissimilar pairs closer than this squared distance are pushed apart.
    public var margin: Float
    /// alpha: the weight of the quantization regulariser.
    public var quantizationWeight: Float

    /// DSH's defaults: margin 2 * bits, quantization weight 0.01.
    public init(bits: Int, margin: Float? = nil, quantizationWeight: Float = 0.01) {
        precondition(bits > 0, "a code needs at least one bit")
        self.bits = bits
        self.margin = margin ?? Float(2 * bits)
        self.quantizationWeight = quantizationWeight
    }

    /// codes: (N, bits), labels: N images -> scalar L and dL/d(codes) (N, bits).
    public func lossAndGradient(codes: Tensor, labels: BatchLabels) -> (loss: Float, gradient: Tensor) {
        var batch = HashCodeBatch(codes, "contrastive loss")
        let loss = accumulate(into: &batch, labels: labels)
        return (Float(loss), batch.gradientTensor)
    }

    /// Adds dL/d(codes) into `batch.gradient` and returns L (pair term + weighted quantization).
    func accumulate(into batch: inout HashCodeBatch, labels: BatchLabels) -> Double {
        let pairs = PairwiseContrastiveLoss.pairTerm(into: &batch, labels: labels, bits: bits, margin: Double(margin))
        let quantization = QuantizationLoss.accumulate(into: &batch, weight: Double(quantizationWeight))
        return pairs + Double(quantizationWeight) * quantization
    }

    /// The pair term alone (mean over pairs); adds its gradient into `batch.gradient`.
    static func pairTerm(into batch: inout HashCodeBatch, labels: BatchLabels, bits: Int, margin: Double) -> Double {
        let n = batch.count
        precondition(batch.bits == bits, "the loss was made for \(bits)-bit codes, got \(batch.bits) bits")
        precondition(labels.count == n, "\(n) codes but \(labels.count) labels")
        let pairCount = n * (n - 1) / 2
        guard pairCount > 0 else { return 0 }
        let similar = labels.similarityMatrix()
        let perPair = 1 / Double(pairCount)
        var difference = [Double](repeating: 0, count: bits)
        var total = 0.0
        batch.values.withUnsafeBufferPointer { b in
            for i in 0..<n {
                for j in (i + 1)..<n {
                    var distance = 0.0
                    for k in 0..<bits {
                        let d = b[i * bits + k] - b[j * bits + k]
                        difference[k] = d
                        distance += d * d
                    }
                    // dL/db_i = sign * d / P: +1 pulls a similar pair together, -1 pushes a
                    // dissimilar pair inside the margin apart.
                    let direction: Double
                    if similar[i * n + j] {
                        total += 0.5 * distance
                        direction = 1
                    } else if distance < margin {
                        total += 0.5 * (margin - distance)
                        direction = -1
                    } else {
                        continue
                    }
                    let scale = direction * perPair
                    for k in 0..<bits {
                        batch.gradient[i * bits + k] += scale * difference[k]
                        batch.gradient[j * bits + k] -= scale * difference[k]
                    }
                }
            }
        }
        return total * perPair
    }
}
