import Foundation
import Networks
import Retrieval

/// How a training run tells what it is doing while it sets up and measures: notes (one line
/// each) and redrawn progress lines, as the caller shows them.
public struct TrainingReporter {
    public var note: (String) -> Void
    public var progressLine: (String) -> (@Sendable (Int, Int) -> Void)?
    public var endProgressLine: () -> Void

    public init(note: @escaping (String) -> Void, progressLine: @escaping (String) -> (@Sendable (Int, Int) -> Void)? = { _ in nil },
                endProgressLine: @escaping () -> Void = {}) {
        self.note = note
        self.progressLine = progressLine
        self.endProgressLine = endProgressLine
    }
}

/// One training run after its request was checked: the protocol's data, the trainer (seeded,
/// warm-started or resumed), the backbone's cached features for a head; then the final
/// measurement and the model file with its provenance. The epoch loop, signals and printing
/// are the caller's.
public struct TrainingPlan {
    public let request: TrainingRequest
    public let data: ProtocolData
    public var trainer: HashingTrainer
    /// The backbone's cached trunk features, for a head (then the trainer reads them).
    let features: BackboneFeatures?
    /// With --init-from: the starting model, described for the provenance, and what it gave.
    public let warmStart: (description: String, plan: WarmStart)?
    /// With --monitor N: the fixed sample measured after every epoch.
    public let monitorData: ProtocolData?

    /// Checks every input before anything is written; each failure is one line.
    public init(_ request: TrainingRequest, reporter: TrainingReporter) throws {
        self.request = request
        if let arch = Architecture(rawValue: request.arch), arch.isTorchvisionFamily {
            throw ServiceError("arch '\(arch.rawValue)' is DeepHash-pytorch's network, trained there and imported here (hashscope import --torch FILE --arch \(arch.rawValue)); hashscope trains \(TrainingRecipe.trainable.map(\.rawValue).joined(separator: ", "))")
        }
        guard let arch = Architecture(rawValue: request.arch), TrainingRecipe.recipe(for: arch) != nil else {
            throw ServiceError("unknown arch '\(request.arch)': expected one of \(TrainingRecipe.trainable.map(\.rawValue).joined(separator: ", "))")
        }
        var backbone: BackboneName?
        if let name = request.backbone {
            guard let known = BackboneName(rawValue: name) else {
                throw ServiceError("unknown backbone '\(name)': expected one of \(BackboneName.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard arch.hasBackboneHead else {
                throw ServiceError("arch '\(arch.rawValue)' has no head for a backbone: use one of \(Architecture.allCases.filter(\.hasBackboneHead).map(\.rawValue).joined(separator: ", "))")
            }
            backbone = known
        }
        if let size = request.size, !(32...512).contains(size) { throw ServiceError("--size must be 32...512 (got \(size))") }
        guard (0...8).contains(request.augmentCopies) else { throw ServiceError("--augment-copies must be 0...8 (got \(request.augmentCopies))") }
        if request.augmentCopies > 0 && backbone == nil {
            throw ServiceError("--augment-copies augments cached backbone features: it needs --backbone")
        }
        if let batchNorm = request.batchNorm, !arch.takesBatchNorm(on: backbone) {
            let flag = batchNorm ? "--batch-norm" : "--no-batch-norm"
            throw ServiceError("\(flag) applies to the papers' networks trained from scratch (\(Architecture.allCases.filter(\.takesBatchNorm).map(\.rawValue).joined(separator: ", "))), not to arch '\(arch.rawValue)'\(backbone.map { " on \($0.rawValue)" } ?? "")")
        }
        if let n = request.fineTunedBlocks {
            guard let backbone else { throw ServiceError("--fine-tune-blocks says how much of a pretrained backbone trains: it needs --backbone") }
            guard (1...backbone.maxFineTunedBlocks).contains(n) else {
                throw ServiceError("--fine-tune-blocks must be 1...\(backbone.maxFineTunedBlocks) for \(backbone.rawValue) (got \(n))")
            }
        }
        guard BinaryCodes.bitRange.contains(request.bits) else {
            throw ServiceError("--bits \(request.bits) is outside \(BinaryCodes.bitRange.lowerBound)...\(BinaryCodes.bitRange.upperBound)")
        }
        guard request.epochs > 0 else { throw ServiceError("--epochs must be at least 1 (got \(request.epochs))") }
        guard (0...100_000).contains(request.monitor) else { throw ServiceError("--monitor must be 0...100000 queries (got \(request.monitor))") }
        if let batch = request.batch, batch < 2 { throw ServiceError("--batch must be at least 2 (got \(batch)): the losses compare images") }
        if let lr = request.learningRate, !(lr > 0 && lr.isFinite) { throw ServiceError("--lr must be a positive number (got \(lr))") }
        var optimizer: OptimizerChoice?
        if let name = request.optimizer {
            guard let choice = OptimizerChoice(rawValue: name) else {
                throw ServiceError("unknown optimizer '\(name)': expected one of \(OptimizerChoice.names)")
            }
            optimizer = choice
        }
        var loss: LossChoice?
        if let name = request.loss {
            guard let choice = LossChoice(rawValue: name) else {
                throw ServiceError("unknown loss '\(name)': expected one of \(LossChoice.names)")
            }
            loss = choice
        }
        if let loss, case .centralSimilarity = loss.objective {
            // Hash centers compare (h + 1) / 2 with 0/1 targets: the codes must lie in (-1, 1).
            let probe = arch.build(.init(bits: request.bits, classes: 2, backbone: backbone))
            guard probe.activation == .tanh else {
                throw ServiceError("--loss \(loss.rawValue) needs tanh codes in (-1, 1); arch '\(arch.rawValue)'\(backbone.map { " on \($0.rawValue)" } ?? "") has \(probe.activation.rawValue) codes: use \(Self.tanhArchitectures(backbone: backbone))")
            }
        }
        try OutputFile.check(request.out)
        data = try ProtocolData(spec: request.dataset, protocolName: request.protocolName, seed: request.seed)
        monitorData = request.monitor > 0 ? data.replacingSplit(data.split.monitorSample(queries: request.monitor, seed: request.seed)) : nil
        guard data.split.train.count >= 2 else {
            throw ServiceError("\(request.dataset): \(data.split.train.count) training items under \(data.split.name); training needs at least 2")
        }
        guard let configuration = TrainingConfiguration(arch: arch, bits: request.bits, classCount: data.classNames.count,
                                                        epochs: request.epochs, batchSize: request.batch, learningRate: request.learningRate,
                                                        optimizer: optimizer, seed: request.seed, backbone: backbone,
                                                        inputSize: request.size,
                                                        augmentedCopies: request.augmentCopies > 0 ? request.augmentCopies : nil,
                                                        loss: loss, fineTunedBlocks: request.fineTunedBlocks,
                                                        batchNorm: request.batchNorm) else {
            preconditionFailure("checked above: \(arch) has a recipe")
        }
        if let backbone {
            let weights = try BackboneWeights.locate(backbone, explicit: request.backboneWeights, roots: EmbeddedAssets.repositoryRoots)
            let fineTuned = request.fineTunedBlocks ?? 1
            let network = try BackboneWeights.open(backbone, path: weights).fineTuning(fineTuned)
            let size = configuration.recipe.inputSize
            let key = try FeatureCache.key(backbone: backbone, weightsPath: weights, gallery: data.gallery, size: size,
                                           fineTunedBlocks: fineTuned)
            let cache = FeatureCache(folder: FeatureCache.defaultFolder)
            let gallery = data.gallery, threads = request.threads
            func cached(_ key: FeatureCache.Key, _ what: String) -> BackboneFeatures {
                let progress = reporter.progressLine("backbone features \(what)")
                let computed = cache.features(backbone: network, key: key, gallery: gallery, threads: threads,
                                              note: reporter.note, progress: progress)
                if progress != nil { reporter.endProgressLine() }
                if !computed.cached {
                    reporter.note("backbone features \(what) in " + TrainingDuration.text(computed.seconds)
                                  + " (cached for the next run)")
                }
                return computed.features
            }
            let plain = cached(key, "of \(gallery.items.count) images at \(size)x\(size)")
            let train = data.split.train
            var copies: [BackboneFeatures] = []
            for n in 1...max(1, request.augmentCopies) where request.augmentCopies > 0 {
                copies.append(cached(key.augmentedCopy(n, of: train, augmentation: configuration.recipe.augmentation, seed: configuration.seed),
                                     "at \(size)x\(size), augmented copy \(n) of the \(train.count) training images"))
            }
            features = plain
            let source = FeatureBatchLoader(indices: data.split.train, batchSize: configuration.batchSize, features: plain,
                                            augmentedCopies: copies, seed: configuration.seed)
            trainer = HashingTrainer(configuration: configuration, source: source, pretrained: network, labels: data.batchLabels)
        } else {
            features = nil
            trainer = HashingTrainer(configuration: configuration, items: data.split.train, loaderThreads: request.threads,
                                     labels: data.batchLabels, load: data.imageSource)
        }
        trainer.context = ["dataset": request.dataset, "protocol": data.split.name]
        if let path = request.initFrom {
            warmStart = try Self.warmStart(&trainer, from: path, backbone: backbone)
        } else {
            warmStart = nil
        }
        if request.resume {
            guard FileManager.default.fileExists(atPath: request.checkpointPath) else {
                throw ServiceError("\(request.checkpointPath): no checkpoint to resume from (train without --resume to start)")
            }
            let checkpoint = try TrainingCheckpoint.load(request.checkpointPath)
            for key in ["dataset", "protocol", "init_from"] where checkpoint.info.context[key] != trainer.context[key] {
                throw ServiceError("\(request.checkpointPath): cannot resume this run from it: \(key): checkpoint has \(checkpoint.info.context[key] ?? "none"), this run \(trainer.context[key] ?? "none")")
            }
            try trainer.restore(from: checkpoint, source: request.checkpointPath)
        }
    }

    /// The trainable architectures whose hash layer is tanh (as heads on `backbone`, when given).
    static func tanhArchitectures(backbone: BackboneName?) -> String {
        TrainingRecipe.trainable.filter { backbone == nil || $0.hasBackboneHead }
            .filter { $0.build(.init(bits: 8, classes: 2, backbone: backbone)).activation == .tanh }
            .map(\.rawValue).joined(separator: ", ")
    }

    public static func epochs(_ n: Int) -> String { n == 1 ? "1 epoch" : "\(n) epochs" }

    /// Seeds `trainer`'s network from the model file at `path` (--init-from), which must be a
    /// hashscope model of the same arch, backbone, input size and normalisation. Returns how
    /// the file is described in the provenance, and what was loaded.
    static func warmStart(_ trainer: inout HashingTrainer, from path: String,
                          backbone: BackboneName?) throws -> (description: String, plan: WarmStart) {
        let (tensors, strings) = try ModelFile.load(path)
        guard let metadata = try ModelMetadata.decode(strings, path: path) else {
            throw ServiceError("\(path): no hashscope metadata; --init-from takes a model written by `hashscope train`")
        }
        let c = trainer.configuration, recipe = trainer.recipe
        var problems: [String] = []
        func differs(_ what: String, _ theirs: String, _ ours: String) {
            if theirs != ours { problems.append("\(what): the file has \(theirs), this run \(ours)") }
        }
        // A head of another arch on the same backbone lends its fine-tuned backbone blocks only:
        // its attention and hash layers are another design's, even where names coincide.
        let stageOnly = backbone != nil && metadata.arch != c.arch.rawValue
        if !stageOnly { differs("arch", metadata.arch, c.arch.rawValue) }
        differs("backbone", metadata.backbone ?? "none", backbone?.rawValue ?? "none")
        differs("input size", "\(metadata.inputSize.height)x\(metadata.inputSize.width)", "\(recipe.inputSize)x\(recipe.inputSize)")
        differs("normalization", metadata.normalization.description, recipe.normalization.description)
        if let arch = Architecture(rawValue: metadata.arch) {
            // The batch-norm variant names its layers differently: the two do not share weights.
            let theirs = arch.batchNorm(inFileWith: tensors.keys, backbone: backbone)
            differs("batch norm", theirs ? "it" : "none", c.networkConfiguration.batchNorm ? "it" : "none")
        }
        guard problems.isEmpty else { throw ServiceError("\(path): cannot start from it: " + problems.joined(separator: "; ")) }
        let shared = stageOnly ? tensors.filter { $0.key.hasPrefix(HashingNetwork.backboneStagePrefix) } : tensors
        let plan = try trainer.warmStart(from: shared, source: path)
        let fingerprint = ModelFingerprint.sha256(of: tensors)
        trainer.context["init_from"] = fingerprint
        let p = metadata.provenance
        var facts = ["\(metadata.arch), \(metadata.bits) bits"]
        if stageOnly { facts.append("its backbone blocks only") }
        if let epochs = p.epochs { facts.append(Self.epochs(epochs)) }
        if let dataset = p.dataset { facts.append("on \(dataset)" + (p.evaluationProtocol.map { " (\($0))" } ?? "")) }
        if let seconds = p.wallTimeSeconds { facts.append("wall time \(seconds) s") }
        if let map = p.meanAveragePrecision { facts.append("mAP \(String(format: "%.4f", map))") }
        if let earlier = p.warmStart { facts.append("itself started from \(earlier)") }
        facts.append("sha256 \(fingerprint)")
        return ("\(path) (" + facts.joined(separator: ", ") + ")", plan)
    }


    /// The network as it is now, measured on `data`'s queries and database: through the cached
    /// trunk features for a head, from the images otherwise.
    private func evaluate(on data: ProtocolData, progress: ((Int, Int) -> Void)?) throws -> CodeEvaluation {
        let network = trainer.network
        if let features {
            return try CodeEvaluation.run(network: network, data: data, threads: request.threads, progress: progress) {
                NetworkEncoder.encode(network, features: features, indices: $0, progress: $1)
            }
        }
        return try CodeEvaluation.run(network: network, preprocessor: trainer.preprocessor, data: data, threads: request.threads,
                                      progress: progress)
    }

    /// With --monitor: the monitor sample's mAP now (recorded in the trainer's history), a
    /// learning-curve reading, not the protocol's figure. Nil without --monitor.
    public mutating func measureMonitor() throws -> RetrievalMetrics? {
        guard let monitorData else { return nil }
        let metrics = try evaluate(on: monitorData, progress: nil).metrics
        trainer.recordMonitor(meanAveragePrecision: metrics.meanAveragePrecision)
        return metrics
    }

    /// What the finished run measured and wrote.
    public struct Outcome {
        public let evaluation: CodeEvaluation
        public let metadata: ModelMetadata
    }

    /// Measures mAP on the protocol's queries and database, then writes the model file
    /// (atomically) with its provenance and removes the checkpoint.
    public func finish(reporter: TrainingReporter) throws -> Outcome {
        let c = trainer.configuration, recipe = trainer.recipe
        reporter.note("measuring mAP: \(data.split.query.count) queries against \(data.split.database.count) database images (\(data.split.name))")
        let progress = reporter.progressLine("encoding")
        let evaluation = try evaluate(on: data, progress: progress)
        if progress != nil { reporter.endProgressLine() }
        // The command line, and where a from-scratch network departs from its paper's layers.
        let departure = c.arch.departureFromPaper(batchNorm: c.networkConfiguration.batchNorm)
        let notes = request.commandLine + (departure.map { "; the network departs from its paper: \($0)" } ?? "")
        let metadata = ModelMetadata(
            arch: c.arch.rawValue, bits: c.bits,
            inputSize: .init(height: recipe.inputSize, width: recipe.inputSize),
            normalization: recipe.normalization, classNames: data.classNames,
            provenance: .init(dataset: request.dataset, evaluationProtocol: data.split.name, epochs: c.epochs, seed: c.seed,
                              wallTimeSeconds: (trainer.elapsedSeconds * 10).rounded() / 10,
                              meanAveragePrecision: evaluation.metrics.meanAveragePrecision,
                              notes: notes, warmStart: warmStart?.description),
            backbone: c.backbone?.rawValue, backboneFineTunedBlocks: (c.fineTunedBlocks ?? 1) > 1 ? c.fineTunedBlocks : nil)
        try ModelFile.save(trainer.network, metadata: metadata, to: request.out)
        try? FileManager.default.removeItem(atPath: request.checkpointPath)
        return Outcome(evaluation: evaluation, metadata: metadata)
    }
}
