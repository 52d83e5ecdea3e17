/// What a network is trained to minimise, by method. Each case turns the network's output
/// (N, bits + classes: relaxed codes, then logits) and the batch labels into a scalar loss and
/// dL/d(output) laid out the same way, so one training step serves every architecture.
public enum HashingObjective: Sendable, Equatable {
    /// DSH / DAH: pairwise contrastive loss with margin `marginPerBit * bits` + quantization.
    case pairwiseContrastive(marginPerBit: Float, quantizationWeight: Float)
    /// DFEH: contrastive + quantization + bit balance.
    case featureEnhanced(marginPerBit: Float, quantizationWeight: Float, balanceWeight: Float)
    /// DATH: triplet likelihood + beta * classification + gamma * quantization.
    case tripletLikelihood(margin: Float, classificationWeight: Float, quantizationWeight: Float)
    /// DLBHC / NIN: the latent sigmoid layer trained through the classifier head alone.
    case latentClassification
    /// CSQ: each image's codes pulled to its class's hash center (`HashCenters`, one per class
    /// of the classifier head) + lambda * squared quantization, plus `classificationWeight` x
    /// cross-entropy of the classifier head (0: CSQ alone).
    case centralSimilarity(quantizationWeight: Float, classificationWeight: Float)

    /// Whether the network needs a classifier head (logits after the codes).
    public var needsClassifier: Bool {
        switch self {
        case .pairwiseContrastive, .featureEnhanced: return false
        // Central similarity reads the class count off the classifier head.
        case .tripletLikelihood, .latentClassification, .centralSimilarity: return true
        }
    }

    /// output: (N, bits + classes) -> scalar loss and dL/d(output) (N, bits + classes).
    public func lossAndGradient(output: Tensor, network: HashingNetwork, labels: BatchLabels) -> (loss: Float, gradient: Tensor) {
        let (codes, logits) = network.split(output)
        let bits = network.bits
        switch self {
        case .pairwiseContrastive(let marginPerBit, let quantizationWeight):
            let loss = PairwiseContrastiveLoss(bits: bits, margin: marginPerBit * Float(bits), quantizationWeight: quantizationWeight)
            let (value, gradCodes) = loss.lossAndGradient(codes: codes, labels: labels)
            return (value, Self.join(gradCodes, logits.map(Tensor.zeros(like:))))
        case .featureEnhanced(let marginPerBit, let quantizationWeight, let balanceWeight):
            let loss = DFEHLoss(bits: bits, margin: marginPerBit * Float(bits), quantizationWeight: quantizationWeight,
                                balanceWeight: balanceWeight)
            let (value, gradCodes) = loss.lossAndGradient(codes: codes, labels: labels)
            return (value, Self.join(gradCodes, logits.map(Tensor.zeros(like:))))
        case .tripletLikelihood(let margin, let classificationWeight, let quantizationWeight):
            guard let logits else { preconditionFailure("DATH's objective needs a classifier head") }
            let loss = DATHLoss(margin: margin, classificationWeight: classificationWeight, quantizationWeight: quantizationWeight)
            let (value, gradCodes, gradLogits) = loss.lossAndGradients(codes: codes, logits: logits, labels: labels)
            return (value, Self.join(gradCodes, gradLogits))
        case .latentClassification:
            guard let logits else { preconditionFailure("the latent-layer objective needs a classifier head") }
            let (value, gradLogits) = ClassificationLoss.lossAndGradient(logits: logits, labels: labels)
            return (value, Self.join(Tensor.zeros(like: codes), gradLogits))
        case .centralSimilarity(let quantizationWeight, let classificationWeight):
            guard let logits else { preconditionFailure("central similarity needs a classifier head for its class count") }
            let centers = HashCenters(classes: logits.shape[1], bits: bits)
            let (targets, present) = centers.targets(for: labels)
            let (value, gradCodes) = CentralSimilarityLoss(quantizationWeight: quantizationWeight)
                .lossAndGradient(codes: codes, targets: targets, present: present)
            guard classificationWeight > 0 else { return (value, Self.join(gradCodes, Tensor.zeros(like: logits))) }
            let classification = ClassificationLoss.lossAndGradient(logits: logits, labels: labels)
            return (value + classificationWeight * classification.loss,
                    Self.join(gradCodes, classification.gradient * classificationWeight))
        }
    }

    private static func join(_ codes: Tensor, _ logits: Tensor?) -> Tensor {
        guard let logits else { return codes }
        return Tensor.concatenatingChannels([codes, logits])
    }
}
