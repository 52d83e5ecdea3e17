import ArgumentParser
import Foundation
import Networks
import Retrieval
import Services

struct IndexBuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Encode a gallery with a model into an index file.",
        discussion: """
            Encodes every readable item of the gallery and writes a hashscope index file \
            (codes, labels, item ids, class names, the model's fingerprint and the gallery \
            spec; checksummed, written atomically), which `search --index` and `tui --index` \
            open without encoding again. --faiss FILE also writes the codes as a faiss \
            IndexBinaryFlat file (IBxF; codes of a multiple of 8 bits).

            Exit status: 0 written; 1 written, but some images were unreadable and left out \
            (named on stderr); 2 bad input.
            """)

    @OptionGroup var threading: ThreadOptions

    @OptionGroup var modelFile: ModelOption

    @Option(help: ArgumentHelp("The gallery, as KIND:PATH.", valueName: "spec"))
    var gallery: String

    @Option(help: ArgumentHelp("The index file to write.", valueName: "file"))
    var out: String

    @Option(help: ArgumentHelp("Also write the codes as a faiss IndexBinaryFlat file.", valueName: "file"))
    var faiss: String?

    func run() throws {
        threading.configure()
        MemoryTuning.keepFreedMemoryForReuse()
        let loaded: LoadedModel, opened: any Gallery
        try OutputFile.check(out)
        if let faiss { try OutputFile.check(faiss) }
        loaded = try LoadedModel(path: modelFile.model)
        opened = try GalleryOpener.open(gallery)
        if let faiss, loaded.network.bits % 8 != 0 {
            throw CommandError("\(faiss): \(loaded.network.bits)-bit codes cannot be written for faiss (it needs a multiple of 8 bits)")
        }
        let progress = Diagnostics.progressLine(label: "encoding")
        let encoded: (codes: BinaryCodes, indices: [Int], cached: Bool)
        do {
            encoded = try GalleryCodes.load(model: loaded,
                                            gallery: opened, cacheFolder: nil, threads: threading.threads,
                                            note: { Diagnostics.error($0) }, progress: progress)
        } catch {
            if progress != nil { Diagnostics.endProgressLine() }
            throw CommandError(error.localizedDescription)
        }
        if progress != nil { Diagnostics.endProgressLine() }
        let items = opened.items
        let index = HashIndex(codes: encoded.codes, labels: encoded.indices.map { items[$0].labels },
                              itemIDs: encoded.indices.map { items[$0].id },
                              metadata: .init(modelFingerprint: loaded.fingerprint, gallery: gallery, classNames: opened.classNames,
                                              multiLabel: opened.isMultiLabel, source: "hashscope index build --model \(modelFile.model)"))
        try IndexFile.write(index, to: out)
        if let faiss { try FaissBinaryFlatFile.write(encoded.codes, to: faiss) }
        print("wrote \(out): \(encoded.codes.count) codes of \(loaded.network.bits) bits" + (faiss.map { " (and \($0))" } ?? ""))
        fflush(nil)
        // Unreadable items have no code (each was named on stderr).
        if encoded.indices.count < opened.count { throw ExitCode(1) }
    }
}
