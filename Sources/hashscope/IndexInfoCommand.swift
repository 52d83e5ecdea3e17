import ArgumentParser
import Render
import Retrieval

struct IndexInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "What an index file holds; verifies its checksum.",
        discussion: "Exit status: 0 the file is sound, 2 it cannot be read or is damaged.")

    @Argument(help: "A hashscope index or a faiss IBxF file.")
    var file: String

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let loaded: CodeFileLoader.Loaded
        loaded = try CodeFileLoader.load(file)
        let index = loaded.index, kind = loaded.kind
        let labelled = index.labels.filter { !$0.isEmpty }.count
        if json {
            print(IndexInfoJSON(file: file, kind: kind.rawValue, checksum_verified: kind == .hashscope, codes: index.codes.count,
                                bits: index.codes.bits, labelled: labelled, classes: index.metadata.classNames,
                                multi_label: index.metadata.multiLabel, feature_dimension: index.features?.dimension,
                                gallery: index.metadata.gallery, model_fingerprint: index.metadata.modelFingerprint,
                                source: index.metadata.source,
                                health: index.codes.count > 0 ? .init(CodeHealth(index.codes)) : nil).jsonText)
            return
        }
        print("file         \(file) (\(kind.rawValue)\(kind == .hashscope ? ", checksum ok" : ""))")
        print("codes        \(index.codes.count) x \(index.codes.bits) bits")
        print("labelled     \(labelled) (\(index.metadata.classNames.count) classes\(index.metadata.multiLabel ? ", multi-label" : ""))")
        print("features     \(index.features.map { "\($0.dimension) floats per item" } ?? "none")")
        if !index.metadata.gallery.isEmpty { print("gallery      \(index.metadata.gallery)") }
        if !index.metadata.modelFingerprint.isEmpty { print("model        \(index.metadata.modelFingerprint)") }
        if !index.metadata.source.isEmpty { print("source       \(index.metadata.source)") }
        if index.codes.count > 0 {
            // The explorer's `i` panel shows the same lines.
            let health = CodeHealth(index.codes)
            for line in CodeHealthText.summary(count: health.count, bits: health.bits, distinct: health.distinctCodes,
                                               largestGroups: health.largestGroups) { print(line) }
            print(CodeHealthText.balance(health.onesFraction))
            print(CodeHealthText.correlation(health.meanAbsoluteCorrelation))
        }
    }
}
