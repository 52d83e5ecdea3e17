import ArgumentParser
import Foundation
import Retrieval

struct DataInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "What a gallery holds: items, classes, splits, image sizes, unreadable items.",
        discussion: """
            SPEC is KIND:PATH with KIND one of folder, corel, cifar10, fashion-mnist, list:
              folder:DIR         DIR/<class>/<images>, or DIR/{train,test}/<class>/
              corel:DIR          DIR/0.jpg ... DIR/999.jpg, class = index / 100
              cifar10:DIR        binary (*.bin) or python (cifar-10-batches-py) batches
              fashion-mnist:DIR  IDX files, gzip or not (no DIR: Debian's package)
              list:FILE          DeepHash-pytorch list: `path l1 l2 ... lC`, 0/1 labels

            corel's classes carry the Wang database's names; fashion-mnist without DIR reads \
            /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist package).

            Exit status: 0 every item readable; 1 some items or files unreadable (each named \
            on stderr); 2 the gallery cannot be opened or the spec is bad.
            """)

    @Argument(help: "The gallery, as KIND:PATH.")
    var spec: String

    @Flag(help: "Decode every image (without it, only what the format gives cheaply is read).")
    var check = false

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let gallery: any Gallery
        gallery = try GalleryOpener.open(spec)
        let progress = check ? Diagnostics.progressLine(label: "decoding") : nil
        let inspection = GalleryInspection.inspect(gallery, decode: check, progress: progress)
        if progress != nil { Diagnostics.endProgressLine() }
        for problem in inspection.problems { Diagnostics.error(problem.description) }
        for item in inspection.unreadable { Diagnostics.error(item.message) }
        print(json ? GalleryInspectionReport.json(inspection) : GalleryInspectionReport.table(inspection))
        if !inspection.isComplete { throw ExitCode(1) }
    }
}
