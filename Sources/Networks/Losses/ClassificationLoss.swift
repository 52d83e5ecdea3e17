/// The classification term of the hashing objectives, chosen by the kind of labels: softmax
/// cross-entropy for one class id per image (`SoftmaxCrossEntropy`, mean over N), sigmoid
/// cross-entropy for multi-hot rows (`SigmoidCrossEntropy`, mean over N * C). DLBHC trains its
/// latent sigmoid layer through this head alone; DATH adds it with weight beta.
public enum ClassificationLoss {
    /// logits: (N, C), labels: N images (class ids in 0..<C, or (N, C) multi-hot rows)
    /// -> scalar loss and dL/dlogits (N, C).
    public static func lossAndGradient(logits: Tensor, labels: BatchLabels) -> (loss: Float, gradient: Tensor) {
        switch labels {
        case .classIDs(let ids):
            SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: ids)
        case .multiHot(let rows):
            SigmoidCrossEntropy.lossAndGradient(logits: logits, targets: rows)
        }
    }
}
