import ArgumentParser
import Foundation
import Services

struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the models a folder holds, from their metadata.",
        discussion: """
            Reads every .safetensors file of FOLDER (default: the repository's assets/models) and lists, from the metadata `train` writes: arch, backbone, bits, protocol, mAP (measured at the end of training under that protocol), epochs, training wall time and the model a warm start began from. Grouped by arch, then backbone, bits and name. Nothing is encoded: `hashscope eval` measures a model again.

            Exit status: 0 every file was listed; 2 the folder cannot be read, or a file is no model hashscope can describe (each named on stderr, one line; the others are still listed).
            """)

    @Argument(help: ArgumentHelp("The folder (default: assets/models).", valueName: "folder"))
    var folder: String?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        guard let folder = folder ?? EmbeddedAssets.locate().map({ $0.folder + "/models" }) else {
            throw CommandError("no folder given and no assets/models folder was found beside hashscope")
        }
        let catalog = try ModelCatalog(folder: folder)
        if json {
            print(ModelsJSON(catalog).jsonText)
        } else {
            print(Self.table(catalog))
        }
        fflush(nil)
        for problem in catalog.problems { Diagnostics.error(problem) }
        if !catalog.problems.isEmpty { throw ExitCode(2) }
    }

    /// The starting model's mAP as its provenance description gives it ("..., mAP 0.7659, ...").
    static func startingMAP(_ description: String) -> String? {
        guard let range = description.range(of: "mAP ") else { return nil }
        let digits = description[range.upperBound...].prefix { $0.isNumber || $0 == "." }
        return digits.isEmpty ? nil : String(digits)
    }

    static func table(_ catalog: ModelCatalog) -> String {
        let header = ["model", "arch", "backbone", "bits", "protocol", "mAP", "epochs", "training", "warm start from"]
        let rows = catalog.entries.map { entry -> [String] in
            let m = entry.metadata, p = m.provenance
            // A head fine-tuning more than the backbone's last stage says how much.
            let backbone = m.backbone.map { name in (m.backboneFineTunedBlocks ?? 1) > 1 ? "\(name) (\(m.backboneFineTunedBlocks ?? 1) blocks)" : name }
            return [entry.name, m.arch, backbone ?? "-", String(m.bits), p.evaluationProtocol ?? "-",
                    p.meanAveragePrecision.map { String(format: "%.4f", $0) } ?? "-", p.epochs.map(String.init) ?? "-",
                    p.wallTimeSeconds.map(TrainingDuration.text) ?? "-",
                    entry.warmStartedFrom.map { from in
                        URL(fileURLWithPath: from).lastPathComponent + (Self.startingMAP(p.warmStart ?? "").map { " (mAP \($0))" } ?? "")
                    } ?? "-"]
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }
}
