import Foundation

/// Sigmoid (binary) cross-entropy over logits for multi-label classification: PyTorch's
/// F.binary_cross_entropy_with_logits with mean reduction, the classification head of DLBHC and
/// of DATH on multi-label data. For logits z: (N, C) and targets y: (N, C) in [0, 1]:
///     loss = (1/(N*C)) sum_{i,c} [ -y log sigmoid(z) - (1 - y) log(1 - sigmoid(z)) ]
/// averaged over ALL N * C elements, as PyTorch does. Each element is evaluated in the stable
///     max(z, 0) - z * y + log(1 + e^-|z|)
/// form, which never exponentiates a positive number (logits of +-1000 cost what they should:
/// 0 or 1000, never inf or NaN).
public enum SigmoidCrossEntropy {
    /// logits: (N, C), targets: (N, C) in [0, 1] -> the mean loss and dL/dlogits (N, C),
    /// which is (sigmoid(z) - y) / (N * C).
    public static func lossAndGradient(logits: Tensor, targets: Tensor) -> (loss: Float, gradient: Tensor) {
        precondition(logits.rank == 2 && logits.shape == targets.shape,
                     "sigmoid cross-entropy needs (N, C) logits and targets of one shape, got \(logits.shape) and \(targets.shape)")
        let count = logits.count
        let scale = 1 / Float(max(1, count))
        var total = 0.0
        let gradient = logits.withUnsafeBufferPointer { z in
            targets.withUnsafeBufferPointer { y in
                Tensor(shape: logits.shape) { g in
                    for i in 0..<count {
                        let x = z[i], target = y[i]
                        total += Double(max(x, 0) - x * target + log1pf(expf(-abs(x))))
                        g[i] = (Sigmoid.sigmoid(x) - target) * scale
                    }
                }
            }
        }
        return (Float(total / Double(max(1, count))), gradient)
    }
}
