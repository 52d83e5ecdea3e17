import ArgumentParser
import Foundation
import Basics
import Render
import Services
import TUI

struct BenchTUICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tui",
        abstract: "Time the TUI from a key press to the new screen, headless.",
        discussion: """
            Opens the model and gallery as `hashscope tui` does (the embedded defaults when \
            omitted; the gallery's codes come from the code cache or are encoded first, untimed), \
            then sends a fixed script of keys through the TUI's update loop, each performed to \
            the end as the worker would: augment, encode, search, score, chafa thumbnails of the \
            query and every neighbour (through the thumbnail cache), and the render of the whole \
            screen into its cell buffer. The terminal output itself is not included (there is \
            none). The script, repeated to --keys presses: r r c b f n x m m m + - right enter \
            backspace, and h h when the model has attention. Times are wall-clock milliseconds \
            per key; the first --warmup presses are not counted.

            With --compare FILE the second model is opened on the same gallery and `v` splits \
            the results pane first, so every key searches with both models (the two-model \
            view's latency).

            JSON keys: model, compare (null without it), gallery, columns, rows, color_mode, keys, \
            p50_ms, p95_ms, max_ms, mean_ms, encode_p50_ms, search_p50_ms, database. \
            Exit status: 0 ok; 2 bad arguments or a model/gallery that cannot be opened.
            """)

    @Option(help: ArgumentHelp("The model file (default: the embedded one).", valueName: "file"))
    var model: String?

    @Option(help: ArgumentHelp("The gallery, as KIND:PATH (default: the embedded demo gallery).", valueName: "spec"))
    var gallery: String?

    @Option(help: ArgumentHelp("A second model on the same gallery: time the keys with the two-model view (v) on.", valueName: "file"))
    var compare: String?

    @Option(help: "Screen columns.")
    var columns: Int = 120

    @Option(help: "Screen rows.")
    var rows: Int = 40

    @Option(help: "Colour mode of the thumbnails: truecolor, 256, 16, 8, mono.")
    var colors: String = "256"

    @Option(help: "Timed key presses.")
    var keys: Int = 90

    @Option(help: "Untimed key presses first.")
    var warmup: Int = 10

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard columns >= 80, rows >= 24 else { throw ValidationError("--columns and --rows must be at least 80 x 24") }
        guard keys > 0, warmup >= 0 else { throw ValidationError("--keys must be positive and --warmup not negative") }
        guard ColorMode(rawValue: colors) != nil else { throw ValidationError("--colors must be one of truecolor, 256, 16, 8, mono") }
    }

    func run() throws {
        let assets = EmbeddedAssets.locate()
        guard let modelPath = model ?? assets?.models.first, let gallerySpec = gallery ?? assets?.demoGallery else {
            throw CommandError("no model or gallery: pass --model and --gallery (no assets folder was found)")
        }
        let assetsIndex = { (model: String) in assets?.demoIndex(model: model, gallery: gallerySpec) }
        var choices = [WorkspaceChoice(modelPath: modelPath, gallerySpec: gallerySpec, indexPath: assetsIndex(modelPath))]
        if let compare { choices.append(WorkspaceChoice(modelPath: compare, gallerySpec: gallerySpec, indexPath: assetsIndex(compare))) }
        let explorer = HeadlessExplorer(choices: choices, columns: columns,
                                        rows: rows, colorMode: ColorMode(rawValue: colors)!, cacheFolder: CodeCache.defaultFolder,
                                        saveFolder: FileManager.default.temporaryDirectory.path)
        explorer.start()
        guard let workspace = explorer.state.workspace, explorer.state.result != nil else {
            throw CommandError(explorer.state.message?.text ?? "\(modelPath) on \(gallerySpec): no result")
        }
        if compare != nil {
            explorer.send(.key(.character("v")))
            guard explorer.state.comparison != nil else {
                throw CommandError(explorer.state.message?.text ?? "\(compare ?? ""): the comparison did not open")
            }
        }
        var script: [Key] = "rrcbfnxmmm+-".map { .character($0) } + [.right, .enter, .backspace]
        if workspace.hasAttention { script += [.character("h"), .character("h")] }
        var times: [Double] = [], encodes: [Double] = [], searches: [Double] = []
        for press in 0..<(warmup + keys) {
            let start = DispatchTime.now()
            explorer.send(.key(script[press % script.count]))
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
            guard press >= warmup else { continue }
            times.append(elapsed)
            if let result = explorer.state.result {
                encodes.append(result.encodeMilliseconds)
                searches.append(result.searchMilliseconds)
            }
        }
        if let message = explorer.state.message, message.isError {
            throw CommandError(message.text)
        }
        func percentile(_ values: [Double], _ p: Int) -> Double {
            let sorted = values.sorted()
            return sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, sorted.count * p / 100)]
        }
        if json {
            print(BenchTUIJSON(model: modelPath, compare: compare, gallery: gallerySpec, columns: columns, rows: rows, color_mode: colors,
                               keys: keys, p50_ms: percentile(times, 50), p95_ms: percentile(times, 95), max_ms: times.max() ?? 0,
                               mean_ms: times.reduce(0, +) / Double(times.count), encode_p50_ms: percentile(encodes, 50),
                               search_p50_ms: percentile(searches, 50), database: workspace.encodedCount).jsonText)
        } else {
            print(String(format: "%@%@ on %@ (%d images), %dx%d, %@ colours, %d keys: p50 %.1f ms, p95 %.1f ms, max %.1f ms (encode p50 %.1f ms, search p50 %.1f ms)",
                         modelPath, compare.map { " beside " + $0 } ?? "", gallerySpec, workspace.encodedCount, columns, rows, colors, keys, percentile(times, 50),
                         percentile(times, 95), times.max() ?? 0, percentile(encodes, 50), percentile(searches, 50)))
        }
        fflush(nil)
    }
}
