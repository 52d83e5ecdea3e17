import Foundation

/// Central similarity quantization (CSQ, Yuan et al., CVPR 2020) over relaxed codes h in
/// (-1, 1) (a tanh hash layer), each image pulled to its class's hash center c (`HashCenters`):
///     L = mean_{i,k} BCE((h_ik + 1) / 2, (c_ik + 1) / 2) + lambda * mean_{i,k} (|h_ik| - 1)^2
/// over the images that have a target, as DeepHash-pytorch's CSQ (BCELoss, mean reduction;
/// lambda 1e-4 there). As PyTorch's BCELoss, each log is clamped at -100 and the gradient's
/// denominator p (1 - p) at 1e-12, so codes at exactly +-1 stay finite.
public struct CentralSimilarityLoss: Sendable {
    /// lambda: the weight of the squared quantization term.
    public var quantizationWeight: Float

    public init(quantizationWeight: Float = 1e-4) {
        self.quantizationWeight = quantizationWeight
    }

    /// codes h: (N, bits); targets: (N, bits) row-major +-1 and which rows have one
    /// -> scalar L and dL/dh (N, bits), zero on rows without a target.
    public func lossAndGradient(codes: Tensor, targets: [Float], present: [Bool]) -> (loss: Float, gradient: Tensor) {
        precondition(codes.rank == 2 && targets.count == codes.count && present.count == codes.shape[0],
                     "central similarity needs (N, bits) codes with one target row each, got \(codes.shape)")
        let bits = codes.shape[1]
        let rows = present.filter { $0 }.count
        guard rows > 0 else { return (0, Tensor.zeros(like: codes)) }
        let scale = 1 / Double(rows * bits), lambda = Double(quantizationWeight)
        var total = 0.0
        let gradient = codes.withUnsafeBufferPointer { h in
            Tensor(shape: codes.shape) { g in
                for i in 0..<codes.shape[0] {
                    for k in 0..<bits {
                        let index = i * bits + k
                        guard present[i] else { g[index] = 0; continue }
                        let x = Double(h[index]), p = (x + 1) / 2, y = (Double(targets[index]) + 1) / 2
                        total += -(y * max(log(p), -100) + (1 - y) * max(log(1 - p), -100))
                        let dBCE = (p - y) / max(p * (1 - p), 1e-12) / 2
                        let excess = abs(x) - 1
                        total += lambda * excess * excess
                        let dQ = lambda * 2 * excess * (x > 0 ? 1 : (x < 0 ? -1 : 0))
                        g[index] = Float((dBCE + dQ) * scale)
                    }
                }
            }
        }
        return (Float(total * scale), gradient)
    }
}
