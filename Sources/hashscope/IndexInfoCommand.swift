import ArgumentParser
import Retrieval

struct IndexInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "What an index file holds; verifies its checksum.",
        discussion: "Exit status: 0 the file is sound, 2 it cannot be read or is damaged.")

    @Argument(help: "A hashscope index or a faiss IBxF file.")
    var file: String

    func run() throws {
        let loaded: CodeFileLoader.Loaded
        do { loaded = try CodeFileLoader.load(file) } catch {
            Diagnostics.error(error.localizedDescription)
            throw ExitCode(2)
        }
        let index = loaded.index, kind = loaded.kind
        let labelled = index.labels.filter { !$0.isEmpty }.count
        print("file         \(file) (\(kind.rawValue)\(kind == .hashscope ? ", checksum ok" : ""))")
        print("codes        \(index.codes.count) x \(index.codes.bits) bits")
        print("labelled     \(labelled) (\(index.metadata.classNames.count) classes\(index.metadata.multiLabel ? ", multi-label" : ""))")
        print("features     \(index.features.map { "\($0.dimension) floats per item" } ?? "none")")
        if !index.metadata.gallery.isEmpty { print("gallery      \(index.metadata.gallery)") }
        if !index.metadata.modelFingerprint.isEmpty { print("model        \(index.metadata.modelFingerprint)") }
        if !index.metadata.source.isEmpty { print("source       \(index.metadata.source)") }
    }
}
