import Foundation
import Networks
import Basics
import Render
import TestSupport
import XCTest

/// `train` and `eval` end to end on TestSupport's tiny gallery (the smallest `cifar10-full`
/// accepts), with models trained here under the options each test needs.
final class TrainEvalCommandTests: XCTestCase {
    private func trainArguments(_ gallery: String, out: String, epochs: Int = 2) -> [String] {
        ["train", "--arch", "dsh", "--bits", "16", "--dataset", gallery, "--protocol", "cifar10-full",
         "--epochs", String(epochs), "--batch", "8", "--seed", "5", "--out", out]
    }

    /// The environment with the code cache under `scratch`.
    private func environment(_ scratch: ScratchDirectory) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CACHE_HOME"] = scratch.path + "/cache"
        return environment
    }

    private func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }

    /// Batch norm after the paper's convolutions is a recipe choice (nin's recipe has it, the
    /// others take --batch-norm): the model file holds the norms, every command opens it as the
    /// variant it is, and the provenance says where the network departs from its paper.
    func testBatchNormIsARecipeChoiceThatTheFileAndItsProvenanceCarry() throws {
        let scratch = try ScratchDirectory()
        let gallery = try TinyGallery.make(in: scratch)
        func train(_ arch: String, _ extra: [String], out name: String) throws -> (CommandResult, String) {
            var arguments = trainArguments(gallery, out: scratch.path + "/" + name, epochs: 1) + extra
            arguments[arguments.firstIndex(of: "--arch")! + 1] = arch
            return (try CommandRunner.run(arguments), scratch.path + "/" + name)
        }
        func notes(_ path: String) throws -> String {
            try XCTUnwrap(try ModelMetadata.decode(try SafetensorsFile(path: path).metadata, path: path)?.provenance.notes)
        }
        let departs = "; the network departs from its paper: batch norm after "
        let (dshResult, dsh) = try train("dsh", ["--batch-norm"], out: "dsh-bn.safetensors")
        XCTAssertEqual(dshResult.status, 0, dshResult.stderr)
        let dshNames = try SafetensorsFile(path: dsh).names
        XCTAssertTrue(dshNames.contains("features.1.running_mean"), "\(dshNames)")
        XCTAssertFalse(dshNames.contains("features.0.bias"), "batch norm replaces the convolution's bias")
        let dshNotes = try notes(dsh)
        XCTAssertTrue(dshNotes.hasSuffix(departs + "each of its three convolutions, in place of their biases (the paper has none)"), dshNotes)
        // eval rebuilds the batch-norm network from the file and reproduces train's figure.
        let eval = try CommandRunner.run(["eval", "--model", dsh, "--dataset", gallery, "--protocol", "cifar10-full", "--json"],
                                         environment: environment(scratch))
        XCTAssertEqual(eval.status, 0, eval.stderr)
        let evaluated = try XCTUnwrap(try json(eval.stdout)["map"] as? Double)
        let recorded = try XCTUnwrap(try ModelMetadata.decode(try SafetensorsFile(path: dsh).metadata, path: dsh)?.provenance.meanAveragePrecision)
        XCTAssertEqual(evaluated, recorded, accuracy: 1e-6)

        let (ninResult, nin) = try train("nin", [], out: "nin.safetensors")
        XCTAssertEqual(ninResult.status, 0, ninResult.stderr)
        XCTAssertTrue(try SafetensorsFile(path: nin).names.contains("features.0.bn1.running_var"), "nin's recipe has batch norm")
        let ninNotes = try notes(nin)
        XCTAssertTrue(ninNotes.hasSuffix(departs + "every mlpconv convolution, in place of their biases (the paper has none)"), ninNotes)
        let (plainResult, plain) = try train("nin", ["--no-batch-norm"], out: "nin-plain.safetensors")
        XCTAssertEqual(plainResult.status, 0, plainResult.stderr)
        XCTAssertFalse(try SafetensorsFile(path: plain).names.contains { $0.hasSuffix("running_mean") }, "NIN as published")
        let plainNotes = try notes(plain)
        XCTAssertFalse(plainNotes.contains("departs"), plainNotes)

        // Refused with one line and exit 2: a network that has no such option, and a warm start
        // across the variants (their layers are named differently).
        let (cbam, _) = try train("cbam", ["--batch-norm"], out: "cbam.safetensors")
        XCTAssertEqual(cbam.status, 2, cbam.stderr)
        XCTAssertEqual(cbam.stderr, "hashscope: --batch-norm applies to the papers' networks trained from scratch "
                       + "(dsh, nin, dfeh, dah, dath), not to arch 'cbam'\n")
        let (across, acrossOut) = try train("nin", ["--init-from", plain], out: "across.safetensors")
        XCTAssertEqual(across.status, 2, across.stderr)
        XCTAssertTrue(across.stderr.hasPrefix("hashscope: \(plain): cannot start from it: batch norm: the file has none, this run it"),
                      across.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: acrossOut))
    }

    func testTrainWritesAModelWithProvenanceThatEvalScoresAndCaches() throws {
        let scratch = try ScratchDirectory()
        let gallery = try TinyGallery.make(in: scratch)
        let out = scratch.path + "/model.safetensors"
        let train = try CommandRunner.run(trainArguments(gallery, out: out))
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stdout.hasPrefix("wrote \(out): dsh, 16 bits, 2 epochs"), train.stdout)
        let epochLines = train.stderr.split(separator: "\n").filter { $0.hasPrefix("epoch ") }
        XCTAssertEqual(epochLines.count, 2, train.stderr)
        XCTAssertTrue(epochLines.allSatisfy { $0.contains("loss ") && $0.contains("images/s") && $0.contains("elapsed ") }, train.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + ".checkpoint"), "the checkpoint goes once the model is written")

        let file = try SafetensorsFile(path: out)
        let metadata = try XCTUnwrap(try ModelMetadata.decode(file.metadata, path: out))
        XCTAssertEqual(metadata.arch, "dsh")
        XCTAssertEqual(metadata.bits, 16)
        XCTAssertEqual(metadata.inputSize, .init(height: 32, width: 32))
        XCTAssertEqual(metadata.normalization, .cifar10)
        XCTAssertEqual(metadata.classNames, (0..<10).map { "class\($0)" })
        let provenance = metadata.provenance
        XCTAssertEqual(provenance.dataset, gallery)
        XCTAssertEqual(provenance.evaluationProtocol, "cifar10-full")
        XCTAssertEqual(provenance.epochs, 2)
        XCTAssertEqual(provenance.seed, 5)
        XCTAssertGreaterThan(try XCTUnwrap(provenance.wallTimeSeconds), 0)
        XCTAssertTrue(provenance.notes?.hasPrefix("hashscope train --arch dsh") ?? false, provenance.notes ?? "no notes")
        XCTAssertFalse(provenance.notes?.contains("departs") ?? true, "DSH's layers are the paper's: \(provenance.notes ?? "")")
        let trainedMAP = try XCTUnwrap(provenance.meanAveragePrecision)
        XCTAssertTrue((0.1...1).contains(trainedMAP), "mAP \(trainedMAP)")
        for key in ["arch", "bits", "input_size", "normalization", "classes", "dataset", "protocol", "epochs", "seed", "map"] {
            XCTAssertNotNil(file.metadata[key], "flat metadata key \(key)")
        }

        let evalArguments = ["eval", "--model", out, "--dataset", gallery, "--protocol", "cifar10-full", "--json"]
        let first = try CommandRunner.run(evalArguments, environment: environment(scratch))
        XCTAssertEqual(first.status, 0, first.stderr)
        let report = try json(first.stdout)
        for key in ["map", "topk", "queries", "database", "bits", "multi_label", "p_at", "r_at", "p_r2", "r_r2", "pr_curve",
                    "protocol", "encode_images_per_second", "cached"] {
            XCTAssertNotNil(report[key], "eval JSON lacks \(key)")
        }
        XCTAssertEqual(report["protocol"] as? String, "cifar10-full")
        XCTAssertEqual(report["bits"] as? Int, 16)
        XCTAssertEqual(report["queries"] as? Int, 10)
        XCTAssertEqual(report["database"] as? Int, 40)
        XCTAssertEqual(report["cached"] as? Bool, false)
        XCTAssertGreaterThan(try XCTUnwrap(report["encode_images_per_second"] as? Double), 0)
        // The same weights and items as the measurement at the end of training.
        assertClose(try XCTUnwrap(report["map"] as? Double), trainedMAP, atol: 1e-12)

        let second = try CommandRunner.run(evalArguments, environment: environment(scratch))
        XCTAssertEqual(second.status, 0, second.stderr)
        let cached = try json(second.stdout)
        XCTAssertEqual(cached["cached"] as? Bool, true)
        XCTAssertTrue(cached["encode_images_per_second"] is NSNull)
        assertClose(try XCTUnwrap(cached["map"] as? Double), trainedMAP, atol: 1e-12)

        // A damaged cache file is never trusted: encoded again, rewritten, same numbers.
        let folder = scratch.path + "/cache/hashscope/codes"
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".hsix") }
        XCTAssertEqual(files.count, 2, "\(files)")
        let damagedPath = folder + "/" + files.sorted()[0]
        var bytes = try FileBytes.read(damagedPath)
        bytes[130] ^= 0xFF
        try AtomicFileWriter.write(bytes, to: damagedPath)
        let third = try CommandRunner.run(evalArguments, environment: environment(scratch))
        XCTAssertEqual(third.status, 0, third.stderr)
        XCTAssertTrue(third.stderr.contains("ignoring the cached codes"), third.stderr)
        XCTAssertEqual(try json(third.stdout)["cached"] as? Bool, false)
        assertClose(try XCTUnwrap(try json(third.stdout)["map"] as? Double), trainedMAP, atol: 1e-12)
        XCTAssertEqual(try CommandRunner.run(evalArguments, environment: environment(scratch)).stdout.contains("\"cached\" : true"), true)

        let table = try CommandRunner.run(["eval", "--model", out, "--dataset", gallery, "--protocol", "cifar10-full", "--no-cache"])
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout.contains("protocol     cifar10-full"), table.stdout)
        XCTAssertTrue(table.stdout.contains("mAP@all"), table.stdout)
    }

    func testBadTrainInputExitsTwoWithOneLineAndWritesNothing() throws {
        let scratch = try ScratchDirectory()
        let gallery = try TinyGallery.make(in: scratch)
        let out = scratch.path + "/bad.safetensors"
        let cases: [(replace: String, with: String, message: String)] = [
            ("--arch", "resnet", "unknown arch 'resnet'"),
            ("--arch", "deephash-resnet50", "is DeepHash-pytorch's network, trained there and imported here (hashscope import"),
            ("--bits", "4", "--bits 4 is outside 8...1024"),
            ("--bits", "2048", "outside 8...1024"),
            ("--epochs", "0", "--epochs must be at least 1"),
            ("--protocol", "imagenet", "unknown protocol 'imagenet'"),
            ("--protocol", "corel1k", "corel1k needs"),
            ("--dataset", "folder:" + scratch.path + "/missing", "missing"),
            ("--dataset", "nonsense", "not a gallery spec"),
            ("--out", scratch.path + "/no/such/folder/m.safetensors", "does not exist"),
        ]
        for (option, value, message) in cases {
            var arguments = trainArguments(gallery, out: out)
            arguments[arguments.firstIndex(of: option)! + 1] = value
            let result = try CommandRunner.run(arguments)
            XCTAssertEqual(result.status, 2, "\(option) \(value): \(result.stderr)")
            let lines = result.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "\(option) \(value): \(result.stderr)")
            XCTAssertTrue(result.stderr.hasPrefix("hashscope: ") && result.stderr.contains(message), "\(option) \(value): \(result.stderr)")
            XCTAssertEqual(result.stdout, "")
        }
        let optimizer = try CommandRunner.run(trainArguments(gallery, out: out) + ["--optimizer", "lbfgs"])
        XCTAssertEqual(optimizer.status, 2)
        XCTAssertTrue(optimizer.stderr.contains("unknown optimizer 'lbfgs': expected one of sgd, adam, rmsprop"), optimizer.stderr)
        let loss = try CommandRunner.run(trainArguments(gallery, out: out) + ["--loss", "cosine"])
        XCTAssertEqual(loss.status, 2)
        XCTAssertTrue(loss.stderr.contains("unknown loss 'cosine': expected one of hash-centers, hash-centers+ce"), loss.stderr)
        let centers = try CommandRunner.run(trainArguments(gallery, out: out) + ["--loss", "hash-centers"])
        XCTAssertEqual(centers.status, 2)
        XCTAssertTrue(centers.stderr.contains("--loss hash-centers needs tanh codes in (-1, 1); arch 'dsh' has linear codes: use dath, cbam"),
                      centers.stderr)
        let resume = try CommandRunner.run(trainArguments(gallery, out: out) + ["--resume"])
        XCTAssertEqual(resume.status, 2)
        XCTAssertTrue(resume.stderr.contains("no checkpoint to resume from"), resume.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path), ["gallery"], "nothing written")
    }

    /// --monitor N: every epoch line carries the sample's mAP; a sample holding the whole split
    /// (the tiny gallery's 10 queries and 40 database images) gives the final measurement's figure.
    func testMonitorMeasuresASampleAfterEveryEpoch() throws {
        let scratch = try ScratchDirectory()
        let gallery = try TinyGallery.make(in: scratch)
        let whole = try CommandRunner.run(trainArguments(gallery, out: scratch.path + "/whole.safetensors") + ["--monitor", "10"])
        XCTAssertEqual(whole.status, 0, whole.stderr)
        let lines = whole.stderr.split(separator: "\n").filter { $0.hasPrefix("epoch ") }
        XCTAssertEqual(lines.count, 2, whole.stderr)
        let readings = lines.compactMap { line -> String? in
            guard let range = line.range(of: #"monitor mAP@all (\d\.\d{4}) \(10 x 40\)"#, options: .regularExpression) else { return nil }
            return String(line[range].split(separator: " ")[2])
        }
        XCTAssertEqual(readings.count, 2, whole.stderr)
        XCTAssertTrue(whole.stdout.contains("mAP@all \(readings.last ?? "?") (cifar10-full"), "\(whole.stdout) against \(readings)")

        let sample = try CommandRunner.run(trainArguments(gallery, out: scratch.path + "/sample.safetensors", epochs: 1) + ["--monitor", "3"])
        XCTAssertEqual(sample.status, 0, sample.stderr)
        XCTAssertTrue(sample.stderr.contains(" (3 x 30)"), sample.stderr)
        let bad = try CommandRunner.run(trainArguments(gallery, out: scratch.path + "/bad.safetensors") + ["--monitor", "200000"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("--monitor must be 0...100000"), bad.stderr)
    }

    func testInitFromStartsFromAnotherModelAndNamesItInTheProvenance() throws {
        let scratch = try ScratchDirectory()
        let gallery = try TinyGallery.make(in: scratch)
        let base = scratch.path + "/base.safetensors"
        let trained = try CommandRunner.run(trainArguments(gallery, out: base, epochs: 1))
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let baseTensors = try ModelFile.load(base).tensors

        let out = scratch.path + "/warm.safetensors"
        var arguments = trainArguments(gallery, out: out, epochs: 1) + ["--init-from", base]
        arguments[arguments.firstIndex(of: "--bits")! + 1] = "24"
        let warm = try CommandRunner.run(arguments)
        XCTAssertEqual(warm.status, 0, warm.stderr)
        XCTAssertTrue(warm.stdout.hasPrefix("wrote \(out): dsh, 24 bits, 1 epoch"), warm.stdout)
        let total = try XCTUnwrap(try ModelFile.load(out).tensors.count)
        XCTAssertTrue(warm.stderr.contains("starting from \(base): \(total - 2) of \(total) tensors loaded; initial values kept for "
                                           + "hash.weight (the file has [16, 500]), hash.bias (the file has [16])"), warm.stderr)
        let metadata = try XCTUnwrap(try ModelMetadata.decode(SafetensorsFile(path: out).metadata, path: out))
        XCTAssertEqual(metadata.provenance.epochs, 1, "this run's epochs only")
        let described = try XCTUnwrap(metadata.provenance.warmStart)
        XCTAssertTrue(described.hasPrefix("\(base) (dsh, 16 bits, 1 epoch, on \(gallery) (cifar10-full), wall time "), described)
        XCTAssertTrue(described.hasSuffix("sha256 \(ModelFingerprint.sha256(of: baseTensors)))"), described)
        XCTAssertEqual(try SafetensorsFile(path: out).metadata["warm_start"], described)

        // Files that cannot seed the run: one line naming the file, exit 2, nothing written.
        let network = Architecture.cbam.build(.init(bits: 16))
        let cbam = scratch.path + "/cbam.safetensors"
        try ModelFile.save(network, metadata: ModelMetadata(arch: "cbam", bits: 16, inputSize: .init(height: 32, width: 32),
                                                            normalization: .cifar10, classNames: []), to: cbam)
        let plain = scratch.path + "/plain.safetensors"
        try ModelFile.save(stateDict: baseTensors.map { (name: $0.key, value: $0.value) }, to: plain)
        let unrelated = scratch.path + "/unrelated.safetensors"
        try ModelFile.save(stateDict: baseTensors.map { (name: "other." + $0.key, value: $0.value) },
                           metadata: try ModelMetadata.decode(SafetensorsFile(path: base).metadata, path: base)!.strings, to: unrelated)
        let cases = [(scratch.path + "/absent.safetensors", "cannot read model file"),
                     (cbam, "cannot start from it: arch: the file has cbam, this run dsh"),
                     (plain, "no hashscope metadata"),
                     (unrelated, "cannot start from it: it shares no tensor (name and shape) with a dsh network")]
        let refusedOut = scratch.path + "/refused.safetensors"
        for (file, message) in cases {
            let result = try CommandRunner.run(trainArguments(gallery, out: refusedOut, epochs: 1) + ["--init-from", file])
            XCTAssertEqual(result.status, 2, "\(file): \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
            XCTAssertTrue(result.stderr.hasPrefix("hashscope: \(file): ") && result.stderr.contains(message), result.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: refusedOut))
            XCTAssertFalse(FileManager.default.fileExists(atPath: refusedOut + ".checkpoint"))
        }
    }

    func testEvalNamesAMissingCorruptOrMismatchedModel() throws {
        let scratch = try ScratchDirectory()
        let gallery = try TinyGallery.make(in: scratch)
        let network = Architecture.dsh.build(.init(bits: 16))
        let metadata = ModelMetadata(arch: "dsh", bits: 16, inputSize: .init(height: 32, width: 32), normalization: .cifar10,
                                     classNames: [])
        let good = scratch.path + "/good.safetensors"
        try ModelFile.save(network, metadata: metadata, to: good)
        let noMetadata = scratch.path + "/plain.safetensors"
        try ModelFile.save(stateDict: network.stateDict, to: noMetadata)
        var wider = metadata
        wider.bits = 32
        let mismatched = scratch.path + "/mismatch.safetensors"
        try ModelFile.save(network, metadata: wider, to: mismatched)
        let truncated = try scratch.write("cut.safetensors", Array(try FileBytes.read(good).prefix(200)))
        let cases = [(scratch.path + "/absent.safetensors", "cannot read model file"), (truncated, "truncated"),
                     (noMetadata, "no hashscope metadata"), (mismatched, "does not match the model")]
        for (model, message) in cases {
            let result = try CommandRunner.run(["eval", "--model", model, "--dataset", gallery, "--protocol", "cifar10-full", "--no-cache"])
            XCTAssertEqual(result.status, 2, "\(model): \(result.stderr)")
            XCTAssertTrue(result.stderr.hasPrefix("hashscope: \(model): ") && result.stderr.contains(message), result.stderr)
            XCTAssertEqual(result.stdout, "")
        }
        let fits = try CommandRunner.run(["eval", "--model", good, "--dataset", gallery, "--protocol", "cifar10-full", "--no-cache"])
        XCTAssertEqual(fits.status, 0, fits.stderr)
    }

    func testInterruptSavesACheckpointThatResumes() throws {
        let scratch = try ScratchDirectory()
        let gallery = try TinyGallery.make(in: scratch)
        let out = scratch.path + "/interrupted.safetensors"
        let process = Process()
        process.executableURL = CommandRunner.executable
        process.arguments = trainArguments(gallery, out: out, epochs: 1000)
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        let stderr = LockedText()
        let firstEpoch = DispatchSemaphore(value: 0)
        errors.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil; return }
            if stderr.append(String(decoding: data, as: UTF8.self)).contains("epoch 1/1000") { firstEpoch.signal() }
        }
        try process.run()
        guard firstEpoch.wait(timeout: .now() + 60) == .success else {
            process.terminate()
            process.waitUntilExit()
            return XCTFail("no epoch line within 60 s: \(stderr.text)")
        }
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        Thread.sleep(forTimeInterval: 0.2)  // the last stderr bytes
        if process.terminationStatus == 0 {
            throw XCTSkip("the run finished before SIGINT arrived: \(stderr.text)")
        }
        XCTAssertEqual(process.terminationStatus, 130, stderr.text)
        XCTAssertTrue(stderr.text.contains("interrupted (SIGINT)"), stderr.text)
        XCTAssertTrue(stderr.text.contains("checkpoint saved to \(out).checkpoint"), stderr.text)
        XCTAssertTrue(stderr.text.contains("resume with: hashscope train") && stderr.text.contains("--resume"), stderr.text)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))

        let checkpoint = try TrainingCheckpoint.load(out + ".checkpoint")
        XCTAssertEqual(checkpoint.info.configuration.epochs, 1000)
        XCTAssertGreaterThanOrEqual(checkpoint.info.position.epoch, 1)
        // Finish the epoch it stopped in (a shorter run: --epochs may change on resume).
        let epochs = checkpoint.info.position.epoch + 1
        let resumed = try CommandRunner.run(trainArguments(gallery, out: out, epochs: epochs) + ["--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.hasPrefix("resuming \(out).checkpoint at epoch \(epochs)/\(epochs)"), resumed.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + ".checkpoint"))
    }
}

/// Text appended from a pipe's handler thread and read by the test.
private final class LockedText: @unchecked Sendable {
    private let lock = NSLock()
    private var value = ""

    func append(_ text: String) -> String {
        lock.lock()
        defer { lock.unlock() }
        value += text
        return value
    }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
}
