import ArgumentParser
import Foundation
import Services
import TUI

struct TUICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tui",
        abstract: "Explore a model and a gallery interactively (the default command).",
        discussion: """
            Opens the terminal explorer: pick a query from the gallery or a file, bend it \
            (rotate, crop, brightness, flip, noise) and see its top-n neighbours with their \
            Hamming distances, the attention heatmap and the precision against the labels, live. \
            Press ? inside for every key.

            Without --model, every model in assets/models is offered (M switches); without \
            --gallery, the embedded demo gallery (assets/demo-cifar10: 2,000 CIFAR-10 test \
            images). Several --model and --gallery options give every pairing. The gallery's \
            codes are cached like `search`'s, so a gallery opens at once the second time. \
            `w` saves sheets into --save-dir.

            Codes made elsewhere: --codes DIR opens a DeepHash-pytorch save folder \
            (tst_binary.npy, trn_binary.npy, tst_label.npy, trn_label.npy): --gallery names the \
            database images (database.txt, as list:FILE), --queries the query images \
            (test.txt); their relative image paths are read under --image-root when given, else \
            beside each list file. The queries are tst_binary.npy's rows, the database \
            trn_binary.npy's; relevance is sharing a label; P@n and AP are what `metrics` gives \
            for that query. Without a model, bends, heatmaps, image files, v and M need a \
            network: their keys say so. With one --model of the folder's code length, bends, \
            image files (o), sweeps and heatmaps work: only a bent query or a file is encoded by \
            the model and searched against the folder's database (a bent query still judged by \
            its row's labels); an unbent query keeps the folder's own code, so its figures stay \
            `metrics`'s. A missing file, a bad array, a list whose row count is not its codes', \
            or a model of another code length is one line naming the file(s), exit 2, before \
            the screen starts.

            --screenshot FILE.png draws the first screen (the first model and gallery, its \
            first search) into a PNG instead, without a terminal: --screen-size COLSxROWS \
            cells (default: the terminal's size, else $COLUMNS x $LINES, else 100x30), 12 x 24 \
            pixels a cell, truecolour.

            Exit status: 0 after q (or the screenshot written); 2 without a usable terminal \
            (no tty, TERM unset or dumb), when no model is given or found, or when the \
            screenshot cannot be written, or when --codes cannot be opened.
            """)

    @OptionGroup var threading: ThreadOptions

    @Option(help: ArgumentHelp("A model file (.safetensors); repeatable.", valueName: "file"))
    var model: [String] = []

    @Option(help: ArgumentHelp("A gallery, as KIND:PATH; repeatable.", valueName: "spec"))
    var gallery: [String] = []

    @Option(help: ArgumentHelp("An index file of the gallery's codes made with the model (one --model and one --gallery).", valueName: "file"))
    var index: String?

    @OptionGroup var codesFolder: CodesFolderOptions
    var codes: String? { codesFolder.codes }
    var queries: String? { codesFolder.queries }
    var imageRoot: String? { codesFolder.imageRoot }

    @Option(name: .customLong("save-dir"), help: ArgumentHelp("Where `w` writes contact sheets and JSON.", valueName: "dir"))
    var saveDirectory: String = "."

    @Option(help: ArgumentHelp("Draw the first screen into this PNG file instead of opening the terminal.", valueName: "file.png"))
    var screenshot: String?

    @Option(name: .customLong("screen-size"), help: ArgumentHelp("With --screenshot: the screen in cells (default: the terminal's, else $COLUMNS x $LINES, else 100x30).", valueName: "COLSxROWS"))
    var screenSize: String?

    @Flag(name: .customLong("no-cache"), help: "Encode the gallery again instead of using cached codes.")
    var noCache = false

    func validate() throws {
        if screenSize != nil && screenshot == nil { throw ValidationError("--screen-size needs --screenshot") }
        if let screenSize, Self.cells(screenSize) == nil {
            throw ValidationError("--screen-size must be COLSxROWS with 20...500 columns and 10...200 rows (got \(screenSize))")
        }
        if let screenshot { do { try OutputFile.check(screenshot) } catch { throw ValidationError(error.message) } }
        if codes == nil {
            if queries != nil { throw ValidationError("--queries needs --codes (a codes folder's query images)") }
            if imageRoot != nil { throw ValidationError("--image-root needs --codes") }
        } else {
            if index != nil { throw ValidationError("--codes takes the place of --index (the folder holds the database codes)") }
            if model.count > 1 { throw ValidationError("--codes takes at most one --model (the one that encodes bent and image-file queries)") }
            if gallery.count != 1 || queries == nil {
                throw ValidationError("--codes needs one --gallery (the database images, database.txt) and --queries (the query images, test.txt)")
            }
            if noCache { throw ValidationError("--no-cache has no codes to encode with --codes") }
        }
    }

    /// "120x40" -> (120, 40) within the sizes a screenshot may have.
    static func cells(_ text: String) -> (columns: Int, rows: Int)? {
        let parts = text.lowercased().split(separator: "x")
        guard parts.count == 2, let columns = Int(parts[0]), let rows = Int(parts[1]),
              (20...500).contains(columns), (10...200).contains(rows) else { return nil }
        return (columns, rows)
    }

    /// The screenshot's size: --screen-size, the terminal on stdout, $COLUMNS x $LINES, 100x30.
    private var screenshotCells: (columns: Int, rows: Int) {
        if let screenSize, let cells = Self.cells(screenSize) { return cells }
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0 {
            return (Int(size.ws_col), Int(size.ws_row))
        }
        let environment = ProcessInfo.processInfo.environment
        if let columns = environment["COLUMNS"].flatMap(Int.init), let rows = environment["LINES"].flatMap(Int.init),
           let cells = Self.cells("\(columns)x\(rows)") {
            return cells
        }
        return (100, 30)
    }

    func run() throws {
        threading.configure()
        if let codes, let queries, let database = gallery.first {
            // Opened here, so a bad folder is one line and exit 2 before the screen starts.
            let workspace = try CodesWorkspace.open(folder: codes, gallerySpec: database, querySpec: queries, imageRoot: imageRoot,
                                                    modelPath: model.first)
            let choice = WorkspaceChoice(codesFolder: codes, gallerySpec: database, querySpec: queries, imageRoot: imageRoot,
                                         modelPath: model.first)
            return try explore([choice], opened: [choice: workspace])
        }
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
        try explore(choices)
    }

    /// The screenshot or the interactive explorer on `choices`, the first opened first.
    private func explore(_ choices: [WorkspaceChoice], opened: [WorkspaceChoice: any SearchWorkspace] = [:]) throws {
        if let screenshot {
            let cells = screenshotCells
            let image = Screenshot.firstScreen(choices: choices, columns: cells.columns, rows: cells.rows,
                                               cacheFolder: noCache ? nil : CodeCache.defaultFolder, threads: threading.threads,
                                               opened: opened)
            try Screenshot.write(image, to: screenshot)
            print("wrote \(screenshot): \(cells.columns) x \(cells.rows) cells, \(image.width) x \(image.height) pixels")
            return
        }
        do {
            try ExplorerApp.run(choices: choices, cacheFolder: noCache ? nil : CodeCache.defaultFolder,
                                saveFolder: saveDirectory, threads: threading.threads, opened: opened)
        } catch let error as TerminalError {
            throw CommandError(error.localizedDescription)
        }
    }
}
