/// The triplet likelihood loss of DATH, which takes it from DTSH (Wang, Shi and Kitani, "Deep
/// Supervised Hashing with Triplet Labels", ACCV 2016, eq. 3): for an anchor a, a positive p
/// (shares a label with a) and a negative n (shares none), with real-valued codes b: (N, bits),
///     Theta_apn = 1/2 b_a . b_p - 1/2 b_a . b_n
///     J1 = -sum (Theta - theta - log(1 + e^(Theta - theta)))
/// with margin theta (5 by default). Each term is -log sigmoid(Theta - theta), i.e.
///     l_apn = softplus(theta - Theta_apn)
/// which is how it is evaluated: stable for any Theta (codes of +-100 give a finite loss).
///
/// Online mining, the "batch all" rule: the triplets are ALL valid (a, p, n) of the batch (every
/// ordered anchor a, every p != a similar to a, every n dissimilar to a; similarity as
/// `BatchLabels.similarityMatrix`). The set depends on the labels only, so it is deterministic
/// and cannot change when the codes move (a finite-difference step never flips it), and no
/// triplet the batch offers is wasted. Batch convention: J1 is AVERAGED over the T mined triplets
/// (the paper sums; the mean keeps the weights of the other terms independent of the batch); a
/// batch with no valid triplet (one label only, or no two images alike) gives 0 and gradient 0.
///
/// Gradient: with sigma the logistic function and G_ij = b_i . b_j,
///     dl/dTheta = -sigma(theta - Theta),  dTheta/dG_ap = 1/2,  dTheta/dG_an = -1/2,
/// collected into an (N, N) matrix W = dJ/dG, then dJ/db = (W + W^T) b. Cost: O(N^2 bits) for G
/// and the product, O(T) <= O(N^3) scalar terms for the triplets.
public struct TripletLikelihoodLoss: Sendable {
    /// theta: how far Theta should exceed 0 before a triplet stops costing.
    public var margin: Float

    /// DATH's margin theta = 5.
    public init(margin: Float = 5) {
        self.margin = margin
    }

    /// The number T of triplets the batch-all rule mines from `labels`.
    public static func tripletCount(labels: BatchLabels) -> Int {
        let n = labels.count, similar = labels.similarityMatrix()
        var total = 0
        for a in 0..<n {
            let (positives, negatives) = partners(of: a, n: n, similar: similar)
            total += positives.count * negatives.count
        }
        return total
    }

    /// codes: (N, bits), labels: N images -> scalar mean J1 and dJ1/d(codes) (N, bits).
    public func lossAndGradient(codes: Tensor, labels: BatchLabels) -> (loss: Float, gradient: Tensor) {
        var batch = HashCodeBatch(codes, "triplet loss")
        let loss = accumulate(into: &batch, labels: labels, weight: 1)
        return (Float(loss), batch.gradientTensor)
    }

    /// Adds weight * dJ1/d(codes) into `batch.gradient`; returns the mean J1 (unweighted).
    func accumulate(into batch: inout HashCodeBatch, labels: BatchLabels, weight: Double) -> Double {
        let n = batch.count, bits = batch.bits
        precondition(labels.count == n, "\(n) codes but \(labels.count) labels")
        let similar = labels.similarityMatrix()
        let lists = (0..<n).map { TripletLikelihoodLoss.partners(of: $0, n: n, similar: similar) }
        let tripletCount = lists.reduce(0) { $0 + $1.positives.count * $1.negatives.count }
        guard tripletCount > 0 else { return 0 }

        // G = b b^T: (N, N).
        var gram = [Double](repeating: 0, count: n * n)
        batch.values.withUnsafeBufferPointer { b in
            for i in 0..<n {
                for j in i..<n {
                    var dot = 0.0
                    for k in 0..<bits { dot += b[i * bits + k] * b[j * bits + k] }
                    gram[i * n + j] = dot
                    gram[j * n + i] = dot
                }
            }
        }

        // W = dJ/dG: (N, N), with J the MEAN over triplets.
        let theta = Double(margin), perTriplet = 1 / Double(tripletCount)
        var w = [Double](repeating: 0, count: n * n)
        var total = 0.0
        for a in 0..<n {
            let (positives, negatives) = lists[a]
            for p in positives {
                for negative in negatives {
                    let x = theta - 0.5 * (gram[a * n + p] - gram[a * n + negative])
                    total += softplus(x)
                    let half = 0.5 * logistic(x) * perTriplet
                    w[a * n + p] -= half
                    w[a * n + negative] += half
                }
            }
        }

        // dJ/db_i = sum_j (W_ij + W_ji) b_j.
        batch.values.withUnsafeBufferPointer { b in
            for i in 0..<n {
                for j in 0..<n {
                    let coefficient = weight * (w[i * n + j] + w[j * n + i])
                    if coefficient == 0 { continue }
                    for k in 0..<bits { batch.gradient[i * bits + k] += coefficient * b[j * bits + k] }
                }
            }
        }
        return total * perTriplet
    }

    /// The positives (p != a, similar to a) and negatives (dissimilar to a) of anchor a, in index
    /// order. An image without labels is dissimilar to every other one, itself excluded.
    private static func partners(of a: Int, n: Int, similar: [Bool]) -> (positives: [Int], negatives: [Int]) {
        var positives: [Int] = [], negatives: [Int] = []
        for j in 0..<n where j != a {
            if similar[a * n + j] { positives.append(j) } else { negatives.append(j) }
        }
        return (positives, negatives)
    }
}
