import ArgumentParser
import Foundation
import Basics
import Render
import Retrieval

struct DataPackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pack",
        abstract: "Pack part of a gallery into one CIFAR-10 binary batch file.",
        discussion: """
            Takes the first --per-class items of each class (in the gallery's order, from --split), \
            resizes each to 32x32 (area averaging down, bilinear up) and writes them with the \
            classes interleaved (the first of each class, then the second of each, ...; like \
            CIFAR-10's own shuffled batches, so no class always comes first among equal \
            Hamming distances) as OUT/test_batch.bin in CIFAR-10's binary layout (one label byte, then 1024 \
            red, 1024 green and 1024 blue bytes per image), which `cifar10:OUT` opens. Class \
            names other than CIFAR-10's go to OUT/batches.meta.txt. Single-label galleries only; \
            at most 256 classes. The file is written atomically. This is how the TUI's embedded \
            demo gallery is made (scripts/make-demo-gallery).

            Exit status: 0 written; 1 written, but some images were unreadable and left out \
            (named on stderr); 2 bad input.
            """)

    @Argument(help: "The gallery, as KIND:PATH.")
    var gallery: String

    @Option(help: "Which split to take items from: train, test, or all.")
    var split: String = "test"

    @Option(name: .customLong("per-class"), help: "Items per class.")
    var perClass: Int

    @Option(help: ArgumentHelp("The folder to write test_batch.bin into (created if missing).", valueName: "dir"))
    var out: String

    func run() throws {
        guard perClass > 0 else { throw ValidationError("--per-class must be positive (got \(perClass))") }
        let wanted: Split?
        switch split {
        case "all": wanted = nil
        case let name: guard let s = Split(rawValue: name), s != .none else { throw ValidationError("--split must be train, test or all (got '\(name)')") }
            wanted = s
        }
        let opened: any Gallery
        opened = try GalleryOpener.open(gallery)
        guard !opened.isMultiLabel, opened.classNames.count <= 256 else {
            throw CommandError("\(gallery): only single-label galleries of at most 256 classes can be packed")
        }
        var taken = [Int](repeating: 0, count: opened.classNames.count)
        var chosen: [[Int]] = Array(repeating: [], count: opened.classNames.count)
        for (i, item) in opened.items.enumerated() where wanted.map({ item.split == $0 }) ?? true {
            guard let label = item.labels.first, taken[label] < perClass else { continue }
            taken[label] += 1
            chosen[label].append(i)
        }
        var bytes: [UInt8] = []
        var failed = 0
        let interleaved = (0..<perClass).flatMap { k in chosen.indices.compactMap { c in k < chosen[c].count ? (c, chosen[c][k]) : nil } }
        for (label, i) in interleaved {
            let image: RGBImage
            do { image = try opened.image(at: i) } catch {
                Diagnostics.error(error.localizedDescription)
                failed += 1
                continue
            }
            let small = image.width == 32 && image.height == 32 ? image : image.resized(width: 32, height: 32)
            bytes.append(UInt8(label))
            for channel in 0..<3 { bytes += stride(from: channel, to: small.pixels.count, by: 3).map { small.pixels[$0] } }
        }
        let count = bytes.count / 3073
        guard count > 0 else {
            throw CommandError("\(gallery): no items to pack from split '\(split)'")
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try AtomicFileWriter.write(bytes, to: out + "/test_batch.bin")
        if opened.classNames != CIFAR10Gallery.standardClassNames {
            try AtomicFileWriter.write(Array((opened.classNames.joined(separator: "\n") + "\n").utf8), to: out + "/batches.meta.txt")
        }
        print("wrote \(out)/test_batch.bin: \(count) images, \(taken.filter { $0 > 0 }.count) classes")
        if failed > 0 { throw ExitCode(1) }
    }
}
