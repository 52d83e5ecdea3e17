import Interchange
import ArgumentParser
import Foundation
import Networks
import Retrieval
import Services

/// `hashscope import --torch FILE.pth [--arch deephash-... [--bits N]] [--out M.safetensors]`: a
/// PyTorch checkpoint's state dict as a safetensors file, without Python; with --arch, as a
/// model file every command opens.
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

            With --arch (deephash-alexnet, deephash-vgg16, deephash-resnet18/34/50/101/152) the \
            checkpoint is a network trained elsewhere, DeepHash-pytorch's network.py shape \
            (torchvision's network under `features`/`conv1`..., its `hash_layer`; HashNet's \
            VGGFc and a `module.` prefix work too): it is renamed into hashscope's names, \
            checked name by name and shape by shape against that network, and written as a \
            model file (input 224 x 224, torchvision's ImageNet normalisation, codes = sign of \
            the hash layer) that the explorer, eval, search and index build open like any \
            other. Tensors stored twice (DeepHash's `feature_layers.*`) must agree. The bits \
            come from the hash layer (--bits checks them).
            """)

    @Option(name: .customLong("torch"), help: ArgumentHelp("The PyTorch checkpoint (.pth/.pt) to read.", valueName: "file"))
    var checkpoint: String

    @Option(help: ArgumentHelp("The safetensors file to write (default: the checkpoint's name with .safetensors).", valueName: "file"))
    var out: String?

    @Option(help: ArgumentHelp("The checkpoint is this network, trained elsewhere (\(Architecture.allCases.filter(\.isTorchvisionFamily).map(\.rawValue).joined(separator: ", "))): write a hashscope model file.", valueName: "name"))
    var arch: String?

    @Option(help: "With --arch: the code length the hash layer must have.")
    var bits: Int?

    func validate() throws {
        if let arch, Architecture(rawValue: arch)?.isTorchvisionFamily != true {
            throw ValidationError("unknown --arch \(arch) (importable: \(Architecture.allCases.filter(\.isTorchvisionFamily).map(\.rawValue).joined(separator: ", ")))")
        }
        if bits != nil && arch == nil { throw ValidationError("--bits needs --arch") }
        if let bits, bits <= 0 { throw ValidationError("--bits must be positive, got \(bits)") }
    }

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
        if let arch = arch.flatMap(Architecture.init(rawValue:)) {
            return try importNetwork(source, arch: arch, to: output)
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

    /// --arch: the checkpoint as a model file of a torchvision-family network.
    private func importNetwork(_ source: TorchCheckpoint, arch: Architecture, to output: String) throws {
        let imported = try TorchvisionImport(checkpoint: source, arch: arch, bits: bits)
        try ModelFile.save(imported.network, metadata: imported.metadata, to: output)
        let from = source.stateDictKey.map { " (state dict under \"\($0)\")" } ?? ""
        print("read \(checkpoint): PyTorch \(source.format.rawValue) checkpoint\(from), \(arch.rawValue) at \(imported.metadata.bits) bits")
        let parameters = imported.network.parameters.reduce(0) { $0 + $1.value.count }
        print("wrote \(output): \(imported.network.stateDict.count) tensors, \(parameters) parameters, input 224 x 224, ImageNet normalisation")
        var notes: [String] = []
        if imported.droppedDuplicates > 0 { notes.append("\(imported.droppedDuplicates) tensors stored twice (checked equal)") }
        if imported.skippedIntegers > 0 { notes.append("\(imported.skippedIntegers) integer counters") }
        if !imported.unused.isEmpty { notes.append("\(imported.unused.count) tensors of an ImageNet classifier (\(imported.unused[0]), ...)") }
        if !notes.isEmpty { print("skipped " + notes.joined(separator: ", ")) }
    }
}
