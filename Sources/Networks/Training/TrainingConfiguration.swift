/// Everything that decides a training run's result. Two runs with equal configurations over the
/// same items give the same weights; a checkpoint records it and `--resume` refuses another
/// (except `epochs`, which may grow).
public struct TrainingConfiguration: Codable, Sendable, Equatable {
    public var arch: Architecture
    public var bits: Int
    /// Classes of the classifier head; nil when the objective needs none.
    public var classes: Int?
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Double
    public var optimizer: OptimizerChoice
    /// Seeds the initial weights, every epoch's order and every sample's augmentation.
    public var seed: UInt64
    /// The pretrained backbone the network is a head on (nil: a network of its own).
    public var backbone: BackboneName?
    /// The square input side, when not the recipe's.
    public var inputSize: Int?
    /// Augmented copies of the cached backbone features a head trains on besides the plain
    /// ones (nil or 0: none), each made with the recipe's augmentation.
    public var augmentedCopies: Int?
    /// The objective in place of the recipe's (nil: the recipe's).
    public var loss: LossChoice?
    /// How many of the backbone's last blocks a head fine-tunes (nil: 1, its last stage).
    public var fineTunedBlocks: Int?
    /// Batch norm after the paper's convolutions in place of the recipe's choice (nil: the recipe's).
    public var batchNorm: Bool?

    /// The recipe's defaults for `arch` (as a head on `backbone`), overridden where an argument
    /// is given. Nil when there is no such recipe.
    public init?(arch: Architecture, bits: Int, classCount: Int, epochs: Int, batchSize: Int? = nil,
                 learningRate: Double? = nil, optimizer: OptimizerChoice? = nil, seed: UInt64 = 0,
                 backbone: BackboneName? = nil, inputSize: Int? = nil, augmentedCopies: Int? = nil, loss: LossChoice? = nil,
                 fineTunedBlocks: Int? = nil, batchNorm: Bool? = nil) {
        guard var recipe = TrainingRecipe.recipe(for: arch, backbone: backbone) else { return nil }
        self.fineTunedBlocks = fineTunedBlocks
        self.batchNorm = batchNorm
        if let loss { recipe.objective = loss.objective }
        self.loss = loss
        self.backbone = backbone
        self.inputSize = inputSize
        self.augmentedCopies = augmentedCopies
        self.arch = arch
        self.bits = bits
        self.classes = recipe.objective.needsClassifier ? classCount : nil
        self.epochs = epochs
        self.batchSize = batchSize ?? recipe.batchSize
        self.learningRate = learningRate ?? recipe.learningRate
        self.optimizer = optimizer ?? recipe.optimizer
        self.seed = seed
    }

    /// The recipe, with `inputSize`, `loss` and `batchNorm` when given.
    public var recipe: TrainingRecipe {
        guard var recipe = TrainingRecipe.recipe(for: arch, backbone: backbone) else { preconditionFailure("\(arch) has no training recipe") }
        if let inputSize { recipe.inputSize = inputSize }
        if let loss { recipe.objective = loss.objective }
        if let batchNorm { recipe.batchNorm = batchNorm }
        return recipe
    }

    /// The network this run trains, with random weights from the seed.
    public var networkConfiguration: Architecture.Configuration {
        let recipe = self.recipe
        return .init(bits: bits, inputSize: recipe.inputSize, classes: classes, seed: seed, backbone: backbone,
                     fineTunedBlocks: fineTunedBlocks ?? 1, batchNorm: recipe.batchNorm && arch.takesBatchNorm(on: backbone))
    }

    private enum CodingKeys: String, CodingKey {
        case arch, bits, classes, epochs, batchSize = "batch_size", learningRate = "learning_rate", optimizer, seed, backbone
        case inputSize = "input_size", augmentedCopies = "augmented_copies", loss, fineTunedBlocks = "fine_tuned_blocks"
        case batchNorm = "batch_norm"
    }
}

/// Where a run stands: the next epoch to train and how many items of its shuffled order are
/// done (0 at an epoch boundary). Every random choice derives from (seed, epoch, item), so this
/// is the whole random-number position a resumed run needs.
public struct TrainingPosition: Codable, Sendable, Equatable {
    public var epoch: Int
    public var itemsDone: Int
    /// The running loss of the unfinished epoch: sum over its batches, and their count.
    public var lossSum: Double
    public var batchesDone: Int

    public init(epoch: Int = 0, itemsDone: Int = 0, lossSum: Double = 0, batchesDone: Int = 0) {
        self.epoch = epoch
        self.itemsDone = itemsDone
        self.lossSum = lossSum
        self.batchesDone = batchesDone
    }

    private enum CodingKeys: String, CodingKey {
        case epoch, itemsDone = "items_done", lossSum = "loss_sum", batchesDone = "batches_done"
    }
}

/// One finished epoch.
public struct EpochSummary: Codable, Sendable, Equatable {
    /// 0-based.
    public var epoch: Int
    /// Mean batch loss.
    public var loss: Double
    public var images: Int
    public var seconds: Double
    public var skipped: Int
    /// mAP on the run's fixed monitor sample after this epoch (`train --monitor`), if measured.
    public var monitorMeanAveragePrecision: Double?

    public var imagesPerSecond: Double { seconds > 0 ? Double(images) / seconds : 0 }

    public init(epoch: Int, loss: Double, images: Int, seconds: Double, skipped: Int) {
        self.epoch = epoch
        self.loss = loss
        self.images = images
        self.seconds = seconds
        self.skipped = skipped
    }
}

/// What a progress callback sees after each batch.
public struct BatchProgress: Sendable {
    /// 0-based epoch and batch; `batches` is the epoch's count when every item is readable.
    public let epoch: Int, epochs: Int, batch: Int, batches: Int
    /// Mean loss of the epoch's batches so far.
    public let runningLoss: Double
    /// Images per second over this process's part of the epoch.
    public let imagesPerSecond: Double
    /// Seconds spent training so far, over every resumed part of the run.
    public let elapsedSeconds: Double
    /// Estimated seconds left in the run, from this epoch's speed.
    public let remainingSeconds: Double
}
