/// How an architecture is trained when the command line says nothing else: its objective,
/// optimizer, learning rate and schedule, augmentation, input normalisation and size.
///
/// Recipes live in one table keyed by architecture, so adding an architecture's recipe is one
/// entry; an architecture without one is refused by `train` with a message, not a crash.
public struct TrainingRecipe: Sendable, Equatable {
    /// The learning-rate decay over a run, made concrete once the epoch count is known.
    public enum Decay: Sendable, Equatable {
        case constant
        /// Cosine annealing to 0 over the whole run.
        case cosine
        case step(every: Int, gamma: Double)
    }

    public var objective: HashingObjective
    public var optimizer: OptimizerChoice
    public var learningRate: Double
    public var decay: Decay
    public var augmentation: TrainingAugmentation
    public var normalization: Normalization
    /// Square input side in pixels.
    public var inputSize: Int
    public var batchSize: Int
    /// Batch norm after the paper's convolutions (`Architecture.Configuration.batchNorm`).
    public var batchNorm: Bool

    public init(objective: HashingObjective, optimizer: OptimizerChoice, learningRate: Double, decay: Decay,
                augmentation: TrainingAugmentation, normalization: Normalization, inputSize: Int, batchSize: Int,
                batchNorm: Bool = false) {
        self.batchNorm = batchNorm
        self.objective = objective
        self.optimizer = optimizer
        self.learningRate = learningRate
        self.decay = decay
        self.augmentation = augmentation
        self.normalization = normalization
        self.inputSize = inputSize
        self.batchSize = batchSize
    }

    /// What input pixels go through: resized to `inputSize` square, then `normalization`.
    public var preprocessor: ImagePreprocessor {
        ImagePreprocessor(width: inputSize, height: inputSize, normalization: normalization)
    }

    /// The schedule for a run of `epochs` epochs starting at `base`.
    public func schedule(base: Double, epochs: Int) -> LearningRateSchedule {
        switch decay {
        case .constant: return LearningRateSchedule(base: base)
        case .cosine: return LearningRateSchedule(base: base, decay: .cosine(epochs: max(1, epochs), minimum: 0))
        case .step(let every, let gamma): return LearningRateSchedule(base: base, decay: .step(every: every, gamma: gamma))
        }
    }

    /// The recipe of `architecture` (as a head on `backbone` when given), or nil when none has
    /// been written yet.
    public static func recipe(for architecture: Architecture, backbone: BackboneName? = nil) -> TrainingRecipe? {
        guard let backbone else { return table[architecture] }
        guard var recipe = headTable[architecture] else { return nil }
        recipe.normalization = backbone.normalization
        recipe.inputSize = backbone.defaultInputSize
        return recipe
    }

    /// Architectures that can be trained, in `Architecture.allCases` order.
    public static var trainable: [Architecture] { Architecture.allCases.filter { table[$0] != nil } }

    // One entry per architecture.
    static let table: [Architecture: TrainingRecipe] = [
        // DSH (Liu et al. 2016): margin 2 * bits, alpha 0.01; Adam + cosine as DeepHash-pytorch's CIFAR runs.
        .dsh: cifar(.pairwiseContrastive(marginPerBit: 2, quantizationWeight: 0.01)),
        // NIN + latent layer (DLBHC, Lin et al. 2015): classification through the sigmoid codes; with batch
        // norm, since without it 12 epochs on cifar10-1000 gave mAP@all 0.19 and with it 0.38 (docs/results.md).
        .nin: cifar(.latentClassification, batchNorm: true),
        // DFEH: contrastive + quantization + bit balance (balance weight: hashscope's choice).
        .dfeh: cifar(.featureEnhanced(marginPerBit: 2, quantizationWeight: 0.01, balanceWeight: 0.1)),
        // DAH: DSH's pairwise loss on an attention network.
        .dah: cifar(.pairwiseContrastive(marginPerBit: 2, quantizationWeight: 0.01)),
        // DATH: triplet likelihood, margin 5, beta = 1, gamma = 0.01 (docs/ARCHITECTURE.md, Definitions: the methods);
        // cbam's SGD at 0.05, batch 128: 60 epochs gave mAP@all 0.4531 against Adam 1e-3's 0.2866 (docs/results.md).
        .dath: cifar(.tripletLikelihood(margin: 5, classificationWeight: 1, quantizationWeight: 0.01),
                     optimizer: .sgd, learningRate: 0.05, batchSize: 128),
        // CNN + CBAM: DATH's triplet + classification + quantization terms on the CBAM ResNet
        // (its classifier reads the codes); SGD as ResNets on CIFAR are usually trained.
        .cbam: cifar(.tripletLikelihood(margin: 5, classificationWeight: 1, quantizationWeight: 0.01),
                     optimizer: .sgd, learningRate: 0.05, batchSize: 128),
    ]

    // Heads on EfficientNet-Lite0's trunk features (cached: augmentation only through augmented
    // copies of the cache, `--augment-copies`), the last stage fine-tuned with them: Adam at a
    // rate low enough for pretrained weights.
    static let headTable: [Architecture: TrainingRecipe] = [
        .cbam: backboneHead(.tripletLikelihood(margin: 5, classificationWeight: 1, quantizationWeight: 0.01)),
        .dath: backboneHead(.tripletLikelihood(margin: 5, classificationWeight: 1, quantizationWeight: 0.01)),
        .dah: backboneHead(.pairwiseContrastive(marginPerBit: 2, quantizationWeight: 0.01)),
    ]

    /// The defaults of a head on a pretrained backbone (whose own input size and normalisation
    /// `recipe(for:backbone:)` sets: EfficientNet-Lite0's 160 x 160 and (x - 127) / 128).
    private static func backboneHead(_ objective: HashingObjective) -> TrainingRecipe {
        TrainingRecipe(objective: objective, optimizer: .adam, learningRate: 3e-4, decay: .cosine, augmentation: .backboneCopies,
                       normalization: .efficientNetLite, inputSize: 160, batchSize: 64)
    }

    /// The CIFAR-10 defaults every from-scratch architecture shares, with its objective.
    private static func cifar(_ objective: HashingObjective, optimizer: OptimizerChoice = .adam, learningRate: Double = 1e-3,
                              batchSize: Int = 64, batchNorm: Bool = false) -> TrainingRecipe {
        TrainingRecipe(objective: objective, optimizer: optimizer, learningRate: learningRate, decay: .cosine,
                       augmentation: .cifar, normalization: .cifar10, inputSize: 32, batchSize: batchSize, batchNorm: batchNorm)
    }
}
