import ArgumentParser
import Foundation
import Services
import TUI

struct TUICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tui",
        abstract: "Explore a model and a gallery interactively (the default command).",
        discussion: """
            Opens the terminal explorer: pick a query from the gallery or a file, bend it
            (rotate, crop, brightness, flip, noise) and see its top-n neighbours with their
            Hamming distances, the attention heatmap and the precision against the labels, live.
            Press ? inside for every key.

            Without --model, every model in assets/models is offered (M switches); without
            --gallery, the embedded demo gallery (assets/demo-cifar10: 2,000 CIFAR-10 test
            images). Several --model and --gallery options give every pairing. The gallery's
            codes are cached like `search`'s, so a gallery opens at once the second time.
            `w` saves sheets into --save-dir.

            Exit status: 0 after q; 2 without a usable terminal (no tty, TERM unset or dumb),
            or when no model is given or found.
            """)

    @OptionGroup var threading: ThreadOptions
    var threads: Int { threading.threads }

    @Option(help: ArgumentHelp("A model file (.safetensors); repeatable.", valueName: "file"))
    var model: [String] = []

    @Option(help: ArgumentHelp("A gallery, as KIND:PATH; repeatable.", valueName: "spec"))
    var gallery: [String] = []

    @Option(help: ArgumentHelp("An index file of the gallery's codes made with the model (one --model and one --gallery).", valueName: "file"))
    var index: String?

    @Option(name: .customLong("save-dir"), help: ArgumentHelp("Where `w` writes contact sheets and JSON.", valueName: "dir"))
    var saveDirectory: String = "."


    @Flag(name: .customLong("no-cache"), help: "Encode the gallery again instead of using cached codes.")
    var noCache = false

    func run() throws {
        threading.configure()
        let assets = EmbeddedAssets.locate()
        let models = model.isEmpty ? (assets?.models ?? []) : model
        guard !models.isEmpty else {
            throw CommandError("no model: pass --model FILE (no assets/models folder was found beside hashscope)")
        }
        var galleries = gallery
        if galleries.isEmpty {
            guard let demo = assets?.demoGallery else {
                throw CommandError("no gallery: pass --gallery KIND:PATH (the demo gallery assets/demo-cifar10 was not found)")
            }
            galleries = [demo]
        }
        guard index == nil || (models.count == 1 && galleries.count == 1) else {
            throw ValidationError("--index needs exactly one model and one gallery")
        }
        let choices = galleries.flatMap { g in
            models.map { WorkspaceChoice(modelPath: $0, gallerySpec: g, indexPath: index ?? assets?.demoIndex(model: $0, gallery: g)) }
        }
        do {
            try ExplorerApp.run(choices: choices, cacheFolder: noCache ? nil : CodeCache.defaultFolder,
                                saveFolder: saveDirectory, threads: threads)
        } catch let error as TerminalError {
            throw CommandError(error.localizedDescription)
        }
    }
}
