/// DATH's training objective (docs/ARCHITECTURE.md, Definitions: the methods): the triplet likelihood over the tanh
/// hash-layer outputs h, a classification head over the summed features, and quantization:
///     L = J1 + beta * CE + gamma * Q
/// - J1: `TripletLikelihoodLoss` (margin theta = 5; all valid triplets of the batch, MEAN over them),
/// - CE: `ClassificationLoss`: softmax cross-entropy over class ids (mean over N), or sigmoid
///   cross-entropy over multi-hot rows (mean over N * C),
/// - Q = (1/N) sum_i sum_k | |h_ik| - 1 | (`QuantizationLoss`; the paper's sum | |h| - 1 |, summed
///   over bits and averaged over the batch).
/// Defaults beta = 1, gamma = 0.01, as the paper.
public struct DATHLoss: Sendable {
    public var triplet: TripletLikelihoodLoss
    /// beta: the weight of the classification term.
    public var classificationWeight: Float
    /// gamma: the weight of the quantization term.
    public var quantizationWeight: Float

    public init(margin: Float = 5, classificationWeight: Float = 1, quantizationWeight: Float = 0.01) {
        triplet = TripletLikelihoodLoss(margin: margin)
        self.classificationWeight = classificationWeight
        self.quantizationWeight = quantizationWeight
    }

    /// codes h: (N, bits), logits: (N, C), labels: N images
    /// -> scalar L, dL/d(codes) (N, bits) and dL/d(logits) (N, C).
    public func lossAndGradients(codes: Tensor, logits: Tensor, labels: BatchLabels)
        -> (loss: Float, codeGradient: Tensor, logitGradient: Tensor) {
        precondition(logits.rank == 2 && codes.rank == 2 && logits.shape[0] == codes.shape[0],
                     "DATH needs (N, bits) codes and (N, C) logits of one batch, got \(codes.shape) and \(logits.shape)")
        var batch = HashCodeBatch(codes, "DATH loss")
        let likelihood = triplet.accumulate(into: &batch, labels: labels, weight: 1)
        let quantization = QuantizationLoss.accumulate(into: &batch, weight: Double(quantizationWeight))
        let classification = ClassificationLoss.lossAndGradient(logits: logits, labels: labels)
        let loss = likelihood + Double(classificationWeight) * Double(classification.loss)
            + Double(quantizationWeight) * quantization
        return (Float(loss), batch.gradientTensor, classification.gradient * classificationWeight)
    }
}
