import Foundation
import Basics

/// The training loop: epochs over seeded shuffled batches of the training items; per batch a
/// forward pass, the recipe's objective, a backward pass and an optimizer step.
///
///     var trainer = HashingTrainer(configuration: c, items: split.train, labels: labelsOf, load: imageOf)
///     while !trainer.isFinished {
///         switch trainer.trainEpoch(shouldStop: { flag.isSet }, progress: draw) {
///         case .completed(let summary): try trainer.checkpoint().save(to: path)
///         case .interrupted: try trainer.checkpoint().save(to: path); exit(130)
///         }
///     }
///
/// Everything random derives from the seed: initial weights, each epoch's order (seed, epoch)
/// and each sample's augmentation (seed, epoch, item), so a run restored from a checkpoint,
/// even one taken mid-epoch, continues exactly as the uninterrupted run would have.
public struct HashingTrainer {
    public typealias Labels = @Sendable ([Int]) -> BatchLabels

    public let configuration: TrainingConfiguration
    public let recipe: TrainingRecipe
    public internal(set) var network: HashingNetwork
    public private(set) var optimizer: any Optimizer
    public let schedule: LearningRateSchedule
    /// Images, or cached backbone features for a head.
    public let source: any TrainingBatchSource
    public private(set) var position = TrainingPosition()
    public private(set) var history: [EpochSummary] = []
    /// Wall time spent in `trainEpoch`, over every process that worked on this run.
    public private(set) var elapsedSeconds = 0.0
    /// Free strings stored in checkpoints (dataset, protocol, command line).
    public var context: [String: String] = [:]
    private let labels: Labels

    /// `items`: the gallery indices to train on; `labels` gives a batch's labels from its item
    /// indices, `load` an item's image. `loaderThreads` decode and augment images.
    public init(configuration: TrainingConfiguration, items: [Int], loaderThreads: Int = 2,
                labels: @escaping Labels, load: @escaping ImageBatchLoader.ImageSource) {
        let recipe = configuration.recipe
        let loader = ImageBatchLoader(indices: items, batchSize: configuration.batchSize, preprocessor: recipe.preprocessor,
                                      augmentation: recipe.augmentation, shuffle: true, seed: configuration.seed,
                                      threads: loaderThreads, load: load)
        self.init(configuration: configuration, source: loader, labels: labels)
    }

    /// Training from any batch source: for a head on a backbone (`configuration.backbone`), a
    /// `FeatureBatchLoader` over the trunk's cached features, with `pretrained` the backbone
    /// whose last stage the head starts from.
    public init(configuration: TrainingConfiguration, source: any TrainingBatchSource, pretrained: (any PretrainedBackbone)? = nil,
                labels: @escaping Labels) {
        let recipe = configuration.recipe
        self.configuration = configuration
        self.recipe = recipe
        network = configuration.arch.build(configuration.networkConfiguration)
        if let pretrained {
            precondition(pretrained.fineTunedBlocks == configuration.fineTunedBlocks ?? 1, "the backbone is cut where the head starts")
            network.loadPretrainedStage(from: pretrained)
        }
        optimizer = configuration.optimizer.make(learningRate: configuration.learningRate)
        schedule = recipe.schedule(base: configuration.learningRate, epochs: configuration.epochs)
        self.source = source
        self.labels = labels
    }

    public var isFinished: Bool { position.epoch >= configuration.epochs }

    /// What the input pixels go through (for the model file's metadata and for encoding).
    public var preprocessor: ImagePreprocessor { recipe.preprocessor }

    public enum EpochOutcome: Sendable, Equatable {
        case completed(EpochSummary)
        /// `shouldStop` said so after a batch; `position` says where to resume.
        case interrupted
    }

    /// Trains the rest of the current epoch (all of it unless resumed mid-epoch). `shouldStop`
    /// is asked after every batch; `progress` hears about every batch.
    public mutating func trainEpoch(shouldStop: () -> Bool = { false },
                                    progress: (BatchProgress) -> Void = { _ in }) -> EpochOutcome {
        precondition(!isFinished, "the run is finished")
        let epoch = position.epoch
        optimizer.learningRate = schedule.learningRate(atEpoch: epoch)
        // The epoch's order without the items a previous process already trained on; each
        // sample's augmentation depends on (seed, epoch, item) only, so the batches are the same.
        let alreadyDone = position.itemsDone
        let remaining = Array(source.order(epoch: epoch).dropFirst(alreadyDone))
        var batches = source.batches(visiting: remaining, epoch: epoch)
        let batchCount = source.batchesPerEpoch, firstBatch = position.batchesDone
        let start = Date()
        var images = 0, delivered = 0
        // A non-strict loader never throws.
        while let batch = batches.nextBatch() {
            delivered += batch.count
            if batch.count >= 2 {  // a lone image has no pair to learn from (and breaks batch norm)
                let loss = step(batch)
                position.lossSum += Double(loss)
                position.batchesDone += 1
                images += batch.count
            }
            position.itemsDone = alreadyDone + delivered + batches.skippedCount
            let seconds = Date().timeIntervalSince(start)
            let speed = seconds > 0 ? Double(images) / seconds : 0
            let batchesLeft = Double(max(0, batchCount - position.batchesDone))
                + Double(configuration.epochs - epoch - 1) * Double(batchCount)
            let secondsPerBatch = position.batchesDone > firstBatch ? seconds / Double(position.batchesDone - firstBatch) : 0
            progress(BatchProgress(epoch: epoch, epochs: configuration.epochs, batch: position.batchesDone, batches: batchCount,
                                   runningLoss: position.batchesDone > 0 ? position.lossSum / Double(position.batchesDone) : 0,
                                   imagesPerSecond: speed, elapsedSeconds: elapsedSeconds + seconds,
                                   remainingSeconds: batchesLeft * secondsPerBatch))
            if shouldStop() && position.itemsDone < source.indices.count {
                elapsedSeconds += Date().timeIntervalSince(start)
                return .interrupted
            }
        }
        let seconds = Date().timeIntervalSince(start)
        elapsedSeconds += seconds
        let summary = EpochSummary(epoch: epoch, loss: position.batchesDone > 0 ? position.lossSum / Double(position.batchesDone) : 0,
                                   images: images, seconds: seconds, skipped: batches.skippedCount)
        history.append(summary)
        position = TrainingPosition(epoch: epoch + 1)
        return .completed(summary)
    }

    /// One optimizer step on `batch`; returns the loss before the step.
    mutating func step(_ batch: ImageBatch) -> Float {
        network.zeroGrad()
        let (output, cache) = network.forward(batch.images, training: true)
        let (loss, gradient) = recipe.objective.lossAndGradient(output: output, network: network, labels: labels(batch.indices))
        network.accumulateParameterGradients(gradient, cache: cache)
        optimizer.step(&network)
        return loss
    }

    /// Records the monitor sample's mAP measured after the last finished epoch.
    public mutating func recordMonitor(meanAveragePrecision: Double) {
        guard !history.isEmpty else { return }
        history[history.count - 1].monitorMeanAveragePrecision = meanAveragePrecision
    }

    // MARK: checkpoints

    /// The run's state now, for `TrainingCheckpoint.save`.
    public func checkpoint() -> TrainingCheckpoint {
        TrainingCheckpoint(info: .init(version: TrainingCheckpoint.currentVersion, configuration: configuration, position: position,
                                       elapsedSeconds: elapsedSeconds, history: history, context: context),
                           model: network.stateDict, optimizerState: optimizer.state)
    }

    /// Continues from `checkpoint` (read from `source`). Its configuration must equal this
    /// trainer's except for `epochs`; names and shapes must fit the network.
    public mutating func restore(from checkpoint: TrainingCheckpoint, source: String) throws(TrainingResumeError) {
        let saved = checkpoint.info.configuration
        var problems: [String] = []
        func differs<T: Equatable>(_ what: String, _ a: T, _ b: T) { if a != b { problems.append("\(what): checkpoint has \(a), this run \(b)") } }
        differs("arch", saved.arch.rawValue, configuration.arch.rawValue)
        differs("bits", saved.bits, configuration.bits)
        differs("classes", saved.classes.map(String.init) ?? "none", configuration.classes.map(String.init) ?? "none")
        differs("batch size", saved.batchSize, configuration.batchSize)
        differs("learning rate", saved.learningRate, configuration.learningRate)
        differs("optimizer", saved.optimizer.rawValue, configuration.optimizer.rawValue)
        differs("seed", saved.seed, configuration.seed)
        differs("backbone", saved.backbone?.rawValue ?? "none", configuration.backbone?.rawValue ?? "none")
        differs("input size", saved.recipe.inputSize, configuration.recipe.inputSize)
        differs("augmented copies", saved.augmentedCopies ?? 0, configuration.augmentedCopies ?? 0)
        differs("loss", saved.loss?.rawValue ?? "the recipe's", configuration.loss?.rawValue ?? "the recipe's")
        differs("fine-tuned blocks", saved.fineTunedBlocks ?? 1, configuration.fineTunedBlocks ?? 1)
        differs("batch norm", saved.networkConfiguration.batchNorm, configuration.networkConfiguration.batchNorm)
        guard problems.isEmpty else { throw TrainingResumeError(source: source, problems: problems) }

        let stored = Dictionary(checkpoint.model, uniquingKeysWith: { first, _ in first })
        var expected = Set<String>()
        for (name, value) in network.stateDict {
            expected.insert(name)
            guard let tensor = stored[name] else { problems.append("model/\(name): missing"); continue }
            if tensor.shape != value.shape { problems.append("model/\(name): checkpoint has \(tensor.shape), model \(value.shape)") }
        }
        for name in stored.keys.sorted() where !expected.contains(name) { problems.append("model/\(name): unexpected") }
        guard problems.isEmpty else { throw TrainingResumeError(source: source, problems: problems) }
        var restored = network
        for (name, value) in checkpoint.model { restored.setParameter(name, to: value) }
        var restoredOptimizer = optimizer
        do { try restoredOptimizer.restoreState(checkpoint.optimizerState, for: restored, source: source) } catch {
            throw TrainingResumeError(source: source, problems: error.problems)
        }
        guard checkpoint.info.position.epoch <= configuration.epochs else {
            throw TrainingResumeError(source: source, problems: [
                "the checkpoint has \(checkpoint.info.position.epoch) epochs done, more than --epochs \(configuration.epochs)"])
        }
        network = restored
        optimizer = restoredOptimizer
        position = checkpoint.info.position
        history = checkpoint.info.history
        elapsedSeconds = checkpoint.info.elapsedSeconds
        context = checkpoint.info.context
    }
}

/// A checkpoint that does not belong to this run: every difference, one line each.
public struct TrainingResumeError: Error, LocalizedError, Sendable, Equatable {
    public let source: String
    public let problems: [String]

    public var errorDescription: String? {
        "\(source): cannot resume this run from it: " + problems.joined(separator: "; ")
    }
}
