import Foundation

/// Softmax cross-entropy over class logits, PyTorch's F.cross_entropy with mean reduction:
/// loss = mean over the batch of (logsumexp(z) - z[label]).
public enum SoftmaxCrossEntropy {
    /// logits: (N, K), labels: N class indices in 0..<K -> the mean loss and dL/dlogits (N, K),
    /// which is (softmax(z) - onehot(label)) / N.
    public static func lossAndGradient(logits: Tensor, labels: [Int]) -> (loss: Float, gradient: Tensor) {
        precondition(logits.rank == 2 && logits.shape[0] == labels.count,
                     "cross-entropy needs (N, K) logits and N labels, got \(logits.shape) and \(labels.count)")
        let n = logits.shape[0], k = logits.shape[1]
        precondition(labels.allSatisfy { (0..<k).contains($0) }, "a label is outside 0..<\(k)")
        var total = 0.0
        let gradient = logits.withUnsafeBufferPointer { z in
            Tensor(shape: [n, k]) { g in
                for row in 0..<n {
                    let base = row * k
                    // Shift by the row maximum so exp never overflows.
                    var largest = -Float.infinity
                    for j in 0..<k { largest = max(largest, z[base + j]) }
                    var sum: Float = 0
                    for j in 0..<k {
                        let e = expf(z[base + j] - largest)
                        g[base + j] = e
                        sum += e
                    }
                    total += Double(logf(sum) + largest - z[base + labels[row]])
                    for j in 0..<k { g[base + j] = g[base + j] / sum / Float(n) }
                    g[base + labels[row]] -= 1 / Float(n)
                }
            }
        }
        return (Float(total / Double(max(1, n))), gradient)
    }
}
