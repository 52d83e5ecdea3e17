import ArgumentParser
import Basics
import Foundation
import Retrieval
import Services

/// `--threads`, shared by every command that encodes, scores or trains. The count is handed to
/// the parallel loop once, by `configure()` at the start of `run()`, never through the environment.
struct ThreadOptions: ParsableArguments {
    @Option(help: "Worker threads for encoding, scoring and training (default: one per core).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1 (got \(threads))") }
    }

    /// Sets the worker count for everything this command runs.
    func configure() { Parallel.configure(workers: threads) }
}

/// `--codes`, `--queries` and `--image-root`: a DeepHash-pytorch save folder as the codes,
/// shared by `search` and `tui` (each checks them against its own other options).
struct CodesFolderOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A DeepHash-pytorch save folder (tst/trn_binary.npy, tst/trn_label.npy) as the codes: --gallery lists the database images, --queries the query images; with a --model, bent and image-file queries are encoded by it.", valueName: "dir"))
    var codes: String?

    @Option(help: ArgumentHelp("With --codes: the query images, as KIND:PATH (DeepHash-pytorch's test.txt as list:FILE).", valueName: "spec"))
    var queries: String?

    @Option(name: .customLong("image-root"), help: ArgumentHelp("With --codes: the folder the list files' relative image paths start from (default: each list file's folder).", valueName: "dir"))
    var imageRoot: String?
}

/// `--dataset`, `--protocol` and `--seed`: a gallery divided by an evaluation protocol, shared
/// by `train`, `eval` and `robustness`.
struct ProtocolOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The gallery, as KIND:PATH (see `hashscope data info --help`).", valueName: "spec"))
    var dataset: String

    @Option(name: .customLong("protocol"), help: ArgumentHelp("Evaluation protocol (\(EvaluationProtocol.allCases.map(\.rawValue).joined(separator: ", "))).", valueName: "name"))
    var protocolName: String

    @Option(help: "Seed of the protocol's random draws (cifar10-1000, corel1k); for train also of the initial weights, the batch order and the augmentation; for robustness of the query subset.")
    var seed: UInt64 = 0

    /// Opens the gallery and splits it by the protocol (with the seed's draws).
    func open() throws -> ProtocolData { try ProtocolData(spec: dataset, protocolName: protocolName, seed: seed) }

    func validate() throws {
        do { _ = try EvaluationProtocol(parsing: protocolName) } catch { throw ValidationError(error.localizedDescription) }
        do { _ = try GallerySpec(parsing: dataset) } catch { throw ValidationError(error.localizedDescription) }
    }
}

/// `--model`: a model file written by `train` (or `import`), shared by the commands that encode
/// with one.
struct ModelOption: ParsableArguments {
    @Option(help: ArgumentHelp("The model file (.safetensors with hashscope metadata).", valueName: "file"))
    var model: String
}
