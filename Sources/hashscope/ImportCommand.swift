import Interchange
import ArgumentParser
import Foundation
import Networks
import Retrieval

/// `hashscope import --torch FILE.pth [--out M.safetensors]`: a PyTorch checkpoint's state
/// dict as a safetensors file, without Python.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Convert a PyTorch checkpoint to a safetensors model file.",
        discussion: """
            Reads torch.save files in both formats: the zip archive (the default since \
            PyTorch 1.6) and the legacy pickle format (_use_new_zipfile_serialization=False). \
            The state dict is the file's dict of tensors, or the dict of tensors it holds \
            (under "state_dict", "model" or another key). Floating-point tensors (float32, \
            float16, bfloat16, float64) are written as F32 with their names kept; integer \
            tensors (BatchNorm's num_batches_tracked) are skipped and listed. No Python code \
            runs. The output is written atomically. Exit status: 0 ok, 2 bad input.
            """)

    @Option(name: .customLong("torch"), help: ArgumentHelp("The PyTorch checkpoint (.pth/.pt) to read.", valueName: "file"))
    var checkpoint: String

    @Option(help: ArgumentHelp("The safetensors file to write (default: the checkpoint's name with .safetensors).", valueName: "file"))
    var out: String?

    /// The output path: --out, or the input with its extension replaced.
    var outputPath: String {
        if let out { return out }
        return URL(fileURLWithPath: checkpoint).deletingPathExtension().appendingPathExtension("safetensors").path
    }

    func run() throws {
        let source: TorchCheckpoint
        source = try TorchCheckpoint(path: checkpoint)
        let output = outputPath
        guard URL(fileURLWithPath: output).standardizedFileURL != URL(fileURLWithPath: checkpoint).standardizedFileURL else {
            throw CommandError("\(output): the output would replace the checkpoint itself; choose another --out")
        }
        var items: [SafetensorsWriter.Item] = []
        var skipped: [String] = []
        var parameters = 0
        for tensor in source.tensors {
            guard tensor.dtype.isFloatingPoint else {
                skipped.append("\(tensor.name) (\(tensor.dtype.rawValue))")
                continue
            }
            // safetensors reserves this key for the metadata.
            guard tensor.name != "__metadata__" else {
                throw CommandError("\(checkpoint): a tensor is called __metadata__, which safetensors reserves")
            }
            items.append(SafetensorsWriter.Item(name: tensor.name, tensor: Tensor(shape: tensor.shape, scalars: tensor.values)))
            parameters += tensor.values.count
        }
        guard !items.isEmpty else {
            Diagnostics.error("\(checkpoint): the state dict holds no floating-point tensors (skipped: \(skipped.joined(separator: ", ")))")
            throw ExitCode(2)
        }
        var metadata = [
            "format": "pt",
            "source": URL(fileURLWithPath: checkpoint).lastPathComponent,
            "provenance": "imported from PyTorch checkpoint",
            "source_format": source.format.rawValue,
        ]
        if let key = source.stateDictKey { metadata["source_state_dict_key"] = key }
        try SafetensorsWriter.write(items, metadata: metadata, to: output)

        let from = source.stateDictKey.map { " (state dict under \"\($0)\")" } ?? ""
        print("read \(checkpoint): PyTorch \(source.format.rawValue) checkpoint\(from)")
        print("wrote \(output): \(items.count) tensors, \(parameters) parameters")
        if !skipped.isEmpty {
            // A whole network's BatchNorm counters would fill the screen: the first three say what they are.
            let shown = skipped.prefix(3).joined(separator: ", ") + (skipped.count > 3 ? ", ..." : "")
            print("skipped \(skipped.count) integer tensors: \(shown)")
        }
        if !source.otherEntries.isEmpty { print("ignored entries: \(source.otherEntries.joined(separator: ", "))") }
    }
}
