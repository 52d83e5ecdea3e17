import Interchange
import ArgumentParser
import Foundation
import Networks
import Retrieval

/// `hashscope forward`: one forward (and optionally backward) pass of an architecture on given
/// weights and input, everything written to a safetensors file. It exists to check hashscope's
/// networks against another framework (scripts/parity-pytorch compares it with PyTorch).
struct ForwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Run one forward (and backward) pass of a network, for checking it against another framework.",
        discussion: """
        Builds --arch for the input's size, loads --model (every parameter and buffer, names as \
        PyTorch's state_dict), runs the input batch through it in training mode (BatchNorm uses \
        the batch's statistics, as PyTorch's model.train()) or, with --eval, in evaluation mode, and \
        writes "output" (N, bits + classes: the codes, then the logits). With --grad-output G.npy \
        (same shape as the output) it also runs backward and writes "grad.input" and \
        "grad.<parameter>" for every parameter. scripts/parity-pytorch uses it to compare \
        hashscope with PyTorch.
        """)

    @Option(help: ArgumentHelp("Architecture (\(Architecture.allCases.map(\.rawValue).joined(separator: ", "))).", valueName: "name"))
    var arch: String

    @Option(help: "Code length.")
    var bits: Int

    @Option(help: "Classes of the classification head (the architecture's default when omitted).")
    var classes: Int?

    @Option(help: ArgumentHelp("Weights (.safetensors, PyTorch state_dict names).", valueName: "file"))
    var model: String

    @Option(help: ArgumentHelp("Input batch (.npy, float32 or float64, shape (N, 3, H, H)).", valueName: "file"))
    var input: String

    @Option(name: .customLong("grad-output"), help: ArgumentHelp("dL/d(output) (.npy, the output's shape): run backward too.", valueName: "file"))
    var gradOutput: String?

    @Flag(help: "Evaluation mode (BatchNorm uses its running statistics) instead of training mode.")
    var eval = false

    @Option(help: ArgumentHelp("Where to write the results (.safetensors).", valueName: "file"))
    var out: String

    func run() throws {
        var network: HashingNetwork
        let x: Tensor
        var dy: Tensor?
        guard let architecture = Architecture(rawValue: arch) else {
            throw CommandError("unknown --arch \(arch) (known: \(Architecture.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard bits >= 1 else { throw CommandError("--bits must be at least 1 (got \(bits))") }
        if let classes, classes < 1 { throw CommandError("--classes must be at least 1 (got \(classes))") }
        x = try Self.readTensor(input)
        guard x.rank == 4, x.shape[1] == 3, x.shape[2] == x.shape[3], x.shape[0] >= 1 else {
            throw CommandError("\(input): expected shape (N, 3, H, H), got \(x.shape)")
        }
        // The weights decide whether the network has batch norm after the paper's convolutions.
        let file = try SafetensorsFile(path: model)
        network = architecture.build(.init(bits: bits, inputSize: x.shape[2], classes: classes,
                                           batchNorm: architecture.batchNorm(inFileWith: file.names, backbone: nil)))
        try ModelFile.load(file, into: &network)
        if let gradOutput { dy = try Self.readTensor(gradOutput) }
        network.zeroGrad()
        let (output, cache) = network.forward(x, training: !eval)
        var items = [SafetensorsWriter.Item(name: "output", tensor: output)]
        if let dy {
            guard dy.shape == output.shape else {
                throw CommandError("\(gradOutput ?? ""): shape \(dy.shape), the output's is \(output.shape)")
            }
            let gradInput = network.backward(dy, cache: cache)
            items.append(.init(name: "grad.input", tensor: gradInput))
            for (name, gradient) in network.gradients { items.append(.init(name: "grad.\(name)", tensor: gradient)) }
        }
        do {
            try SafetensorsWriter.write(items, metadata: ["arch": arch, "mode": eval ? "eval" : "train"], to: out)
        } catch {
            Diagnostics.error(error.localizedDescription)
            throw ExitCode(1)
        }
    }

    /// A float32 / float64 .npy of up to 4 dimensions (images are (N, 3, H, W)).
    private static func readTensor(_ path: String) throws -> Tensor {
        let array: NPYArray
        do { array = try NPYFile.read(path, maxRank: 4) } catch { throw CommandError(error.localizedDescription) }
        guard array.dtype.isFloat else {
            throw CommandError("\(path): dtype \(array.dtype.rawValue), expected float32 or float64")
        }
        return Tensor(shape: array.shape, scalars: array.doubles().map { Float($0) })
    }
}
