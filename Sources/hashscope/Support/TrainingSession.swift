import ArgumentParser
import Foundation
import Networks
import Retrieval
import TUI

/// One `train` invocation after its input was checked: the epoch loop with checkpoints and
/// stop signals, the final measurement and the model file.
struct TrainingSession {
    let command: TrainCommand
    let data: ProtocolData
    var trainer: HashingTrainer
    /// The backbone's cached trunk features, for a head (then the trainer reads them).
    let features: BackboneFeatures?
    /// With --init-from: the starting model, described for the provenance, and what it gave.
    let warmStart: (description: String, plan: WarmStart)?

    /// Checks every input before anything is written; each failure is one line.
    init(_ command: TrainCommand) throws {
        self.command = command
        guard let arch = Architecture(rawValue: command.arch), TrainingRecipe.recipe(for: arch) != nil else {
            throw InputError("unknown arch '\(command.arch)': expected one of \(TrainingRecipe.trainable.map(\.rawValue).joined(separator: ", "))")
        }
        var backbone: BackboneName?
        if let name = command.backbone {
            guard let known = BackboneName(rawValue: name) else {
                throw InputError("unknown backbone '\(name)': expected one of \(BackboneName.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard arch.hasBackboneHead else {
                throw InputError("arch '\(arch.rawValue)' has no head for a backbone: use one of \(Architecture.allCases.filter(\.hasBackboneHead).map(\.rawValue).joined(separator: ", "))")
            }
            backbone = known
        }
        if let size = command.size, !(32...512).contains(size) { throw InputError("--size must be 32...512 (got \(size))") }
        guard (0...8).contains(command.augmentCopies) else { throw InputError("--augment-copies must be 0...8 (got \(command.augmentCopies))") }
        if command.augmentCopies > 0 && backbone == nil {
            throw InputError("--augment-copies augments cached backbone features: it needs --backbone")
        }
        guard BinaryCodes.bitRange.contains(command.bits) else {
            throw InputError("--bits \(command.bits) is outside \(BinaryCodes.bitRange.lowerBound)...\(BinaryCodes.bitRange.upperBound)")
        }
        guard command.epochs > 0 else { throw InputError("--epochs must be at least 1 (got \(command.epochs))") }
        if let batch = command.batch, batch < 2 { throw InputError("--batch must be at least 2 (got \(batch)): the losses compare images") }
        if let lr = command.lr, !(lr > 0 && lr.isFinite) { throw InputError("--lr must be a positive number (got \(lr))") }
        guard command.threads >= 1 else { throw InputError("--threads must be at least 1 (got \(command.threads))") }
        var optimizer: OptimizerChoice?
        if let name = command.optimizer {
            guard let choice = OptimizerChoice(rawValue: name) else {
                throw InputError("unknown optimizer '\(name)': expected one of \(OptimizerChoice.names)")
            }
            optimizer = choice
        }
        try Self.checkOutput(command.out)
        data = try ProtocolData(spec: command.dataset, protocolName: command.protocolName, seed: command.seed)
        guard data.split.train.count >= 2 else {
            throw InputError("\(command.dataset): \(data.split.train.count) training items under \(data.split.name); training needs at least 2")
        }
        // The network splits batches over HASHSCOPE_THREADS workers, read on first use.
        setenv("HASHSCOPE_THREADS", String(command.threads), 1)
        guard let configuration = TrainingConfiguration(arch: arch, bits: command.bits, classCount: data.classNames.count,
                                                        epochs: command.epochs, batchSize: command.batch, learningRate: command.lr,
                                                        optimizer: optimizer, seed: command.seed, backbone: backbone,
                                                        inputSize: command.size,
                                                        augmentedCopies: command.augmentCopies > 0 ? command.augmentCopies : nil) else {
            preconditionFailure("checked above: \(arch) has a recipe")
        }
        if let backbone {
            let weights = try BackboneWeights.locate(backbone, explicit: command.backboneWeights, roots: EmbeddedAssets.repositoryRoots)
            let network = try BackboneWeights.open(backbone, path: weights)
            let size = configuration.recipe.inputSize
            let key = try FeatureCache.key(backbone: backbone, weightsPath: weights, gallery: data.gallery,
                                           canonicalSpec: data.canonicalSpec, size: size)
            let cache = FeatureCache(folder: FeatureCache.defaultFolder)
            let gallery = data.gallery, threads = command.threads
            func cached(_ key: FeatureCache.Key, _ what: String) -> BackboneFeatures {
                let progress = Diagnostics.progressLine(label: "backbone features \(what)")
                let computed = cache.features(backbone: network, key: key, gallery: gallery, threads: threads,
                                              note: { Diagnostics.error($0) }, progress: progress)
                if progress != nil { Diagnostics.endProgressLine() }
                if !computed.cached {
                    Diagnostics.error("backbone features \(what) in " + TrainingProgressPrinter.duration(computed.seconds)
                                      + " (cached for the next run)")
                }
                return computed.features
            }
            let plain = cached(key, "of \(gallery.items.count) images at \(size)x\(size)")
            let train = data.split.train
            var copies: [BackboneFeatures] = []
            for n in 1...max(1, command.augmentCopies) where command.augmentCopies > 0 {
                copies.append(cached(key.augmentedCopy(n, of: train, augmentation: configuration.recipe.augmentation, seed: configuration.seed),
                                     "at \(size)x\(size), augmented copy \(n) of the \(train.count) training images"))
            }
            features = plain
            let source = FeatureBatchLoader(indices: data.split.train, batchSize: configuration.batchSize, features: plain,
                                            augmentedCopies: copies, seed: configuration.seed)
            trainer = HashingTrainer(configuration: configuration, source: source, pretrained: network, labels: data.batchLabels)
        } else {
            features = nil
            trainer = HashingTrainer(configuration: configuration, items: data.split.train, loaderThreads: command.threads,
                                     labels: data.batchLabels, load: data.imageSource)
        }
        trainer.context = ["dataset": command.dataset, "protocol": data.split.name]
        if let path = command.initFrom {
            warmStart = try Self.warmStart(&trainer, from: path, backbone: backbone)
        } else {
            warmStart = nil
        }
        if command.resume {
            guard FileManager.default.fileExists(atPath: command.checkpointPath) else {
                throw InputError("\(command.checkpointPath): no checkpoint to resume from (train without --resume to start)")
            }
            let checkpoint = try TrainingCheckpoint.load(command.checkpointPath)
            for key in ["dataset", "protocol", "init_from"] where checkpoint.info.context[key] != trainer.context[key] {
                throw InputError("\(command.checkpointPath): cannot resume this run from it: \(key): checkpoint has \(checkpoint.info.context[key] ?? "none"), this run \(trainer.context[key] ?? "none")")
            }
            try trainer.restore(from: checkpoint, source: command.checkpointPath)
        }
    }

    static func epochs(_ n: Int) -> String { n == 1 ? "1 epoch" : "\(n) epochs" }

    /// Seeds `trainer`'s network from the model file at `path` (--init-from), which must be a
    /// hashscope model of the same arch, backbone, input size and normalisation. Returns how
    /// the file is described in the provenance, and what was loaded.
    static func warmStart(_ trainer: inout HashingTrainer, from path: String,
                          backbone: BackboneName?) throws -> (description: String, plan: WarmStart) {
        let (tensors, strings) = try ModelFile.load(path)
        guard let metadata = try ModelMetadata.decode(strings, path: path) else {
            throw InputError("\(path): no hashscope metadata; --init-from takes a model written by `hashscope train`")
        }
        let c = trainer.configuration, recipe = trainer.recipe
        var problems: [String] = []
        func differs(_ what: String, _ theirs: String, _ ours: String) {
            if theirs != ours { problems.append("\(what): the file has \(theirs), this run \(ours)") }
        }
        differs("arch", metadata.arch, c.arch.rawValue)
        differs("backbone", metadata.backbone ?? "none", backbone?.rawValue ?? "none")
        differs("input size", "\(metadata.inputSize.height)x\(metadata.inputSize.width)", "\(recipe.inputSize)x\(recipe.inputSize)")
        differs("normalization", metadata.normalization.description, recipe.normalization.description)
        guard problems.isEmpty else { throw InputError("\(path): cannot start from it: " + problems.joined(separator: "; ")) }
        let plan = try trainer.warmStart(from: tensors, source: path)
        let fingerprint = ModelFingerprint.sha256(of: tensors)
        trainer.context["init_from"] = fingerprint
        let p = metadata.provenance
        var facts = ["\(metadata.arch), \(metadata.bits) bits"]
        if let epochs = p.epochs { facts.append(Self.epochs(epochs)) }
        if let dataset = p.dataset { facts.append("on \(dataset)" + (p.evaluationProtocol.map { " (\($0))" } ?? "")) }
        if let seconds = p.wallTimeSeconds { facts.append("wall time \(seconds) s") }
        if let map = p.meanAveragePrecision { facts.append("mAP \(String(format: "%.4f", map))") }
        if let earlier = p.warmStart { facts.append("itself started from \(earlier)") }
        facts.append("sha256 \(fingerprint)")
        return ("\(path) (" + facts.joined(separator: ", ") + ")", plan)
    }

    /// --out names a file in an existing folder.
    static func checkOutput(_ out: String) throws {
        let folder = URL(fileURLWithPath: out).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw InputError("\(out): the folder \(folder) does not exist")
        }
        if FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory), isDirectory.boolValue {
            throw InputError("\(out): is a folder; --out names the model file to write")
        }
    }

    mutating func run() throws {
        let stop = StopSignal()
        var printer = TrainingProgressPrinter()
        let c = trainer.configuration
        if trainer.position.epoch > 0 || trainer.position.itemsDone > 0 {
            printer.say("resuming \(command.checkpointPath) at epoch \(trainer.position.epoch + 1)/\(c.epochs)"
                        + (trainer.position.itemsDone > 0 ? ", item \(trainer.position.itemsDone) of \(data.split.train.count)" : ""))
        } else {
            let what = c.backbone.map { "a \(c.arch.rawValue) head on \($0.rawValue) at \(trainer.recipe.inputSize)x\(trainer.recipe.inputSize)" } ?? c.arch.rawValue
            printer.say("training \(what), \(c.bits) bits, on \(data.split.train.count) images of \(command.dataset)"
                        + " (\(Self.epochs(c.epochs)), batch \(c.batchSize), \(c.optimizer.rawValue) lr \(c.learningRate), seed \(c.seed))")
            if let warmStart { printer.say("starting from \(command.initFrom ?? ""): \(warmStart.plan.summary)") }
        }
        while !trainer.isFinished {
            let outcome = trainer.trainEpoch(shouldStop: { stop.received != nil }, progress: { printer.batch($0) })
            if case .completed(let summary) = outcome {
                printer.epoch(summary, of: c.epochs, elapsed: trainer.elapsedSeconds)
            }
            try saveCheckpoint(printer)
            if let signal = stop.received, !trainer.isFinished {
                let p = trainer.position
                let place = p.itemsDone > 0 ? "epoch \(p.epoch + 1), batch \(p.batchesDone)/\(trainer.source.batchesPerEpoch)"
                    : "\(p.epoch) of \(c.epochs) epochs"
                printer.say("interrupted (\(StopSignal.name(signal))) after \(place); checkpoint saved to \(command.checkpointPath)")
                printer.say("resume with: \(command.commandLine)\(command.resume ? "" : " --resume")")
                throw ExitCode(130)
            }
        }
        // The finished checkpoint is on disk: an interrupted measurement is redone by --resume.
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        try finish(printer)
    }

    private func saveCheckpoint(_ printer: TrainingProgressPrinter) throws {
        do { try trainer.checkpoint().save(to: command.checkpointPath) } catch {
            printer.say("hashscope: \(error.localizedDescription)")
            throw ExitCode(2)
        }
    }

    private func finish(_ printer: TrainingProgressPrinter) throws {
        let c = trainer.configuration, recipe = trainer.recipe
        printer.say("measuring mAP: \(data.split.query.count) queries against \(data.split.database.count) database images (\(data.split.name))")
        let progress = Diagnostics.progressLine(label: "encoding")
        let evaluation: CodeEvaluation
        do {
            if let features {
                let network = trainer.network
                evaluation = try CodeEvaluation.run(network: network, data: data, threads: command.threads, progress: progress) {
                    NetworkEncoder.encode(network, features: features, indices: $0, progress: $1)
                }
            } else {
                evaluation = try CodeEvaluation.run(network: trainer.network, preprocessor: trainer.preprocessor, data: data,
                                                    threads: command.threads, progress: progress)
            }
        } catch {
            printer.say("hashscope: \(error.localizedDescription)")
            throw ExitCode(2)
        }
        if progress != nil { Diagnostics.endProgressLine() }
        for item in evaluation.skipped { printer.say("hashscope: skipped \(item)") }
        let map = evaluation.metrics.meanAveragePrecision
        let metadata = ModelMetadata(
            arch: c.arch.rawValue, bits: c.bits,
            inputSize: .init(height: recipe.inputSize, width: recipe.inputSize),
            normalization: recipe.normalization, classNames: data.classNames,
            provenance: .init(dataset: command.dataset, evaluationProtocol: data.split.name, epochs: c.epochs, seed: c.seed,
                              wallTimeSeconds: (trainer.elapsedSeconds * 10).rounded() / 10, meanAveragePrecision: map,
                              notes: command.commandLine, warmStart: warmStart?.description),
            backbone: c.backbone?.rawValue)
        do { try ModelFile.save(trainer.network, metadata: metadata, to: command.out) } catch {
            printer.say("hashscope: \(error.localizedDescription)")
            throw ExitCode(2)
        }
        try? FileManager.default.removeItem(atPath: command.checkpointPath)
        let k = evaluation.metrics.topK == evaluation.metrics.databaseCount ? "all" : String(evaluation.metrics.topK)
        print("wrote \(command.out): \(c.arch.rawValue), \(c.bits) bits, \(Self.epochs(c.epochs)) in "
              + "\(TrainingProgressPrinter.duration(trainer.elapsedSeconds)); mAP@\(k) \(String(format: "%.4f", map)) "
              + "(\(data.split.name): \(evaluation.metrics.queries) queries, \(evaluation.metrics.databaseCount) database)")
        fflush(nil)  // all C streams: stdout is block-buffered through a pipe (and a global Swift 6 will not touch)
        if !evaluation.skipped.isEmpty { throw ExitCode(1) }
    }
}
