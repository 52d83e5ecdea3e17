import Foundation
import Retrieval
import Services
import TestSupport
import XCTest

/// A DeepHash-pytorch-shaped save folder over the tiny gallery whose codes are the tiny model's
/// own codes of its list images (database.txt: the 40 training images, test.txt: the 10 test
/// images, paths relative to the lists' folder, one-hot labels), for the tests that open a
/// folder together with that model.
struct CodesWithModelSaveFolder {
    let folder: String, database: String, queries: String
    /// Per query row, its image file.
    let queryImages: [String]
    var arguments: [String] { ["--codes", folder, "--gallery", database, "--queries", queries] }

    init(_ tiny: TrainedTinyModel, name: String) throws {
        let scratch = tiny.scratch, dir = "codes-with-model-\(name)"
        var lists: [String: [String]] = ["database": [], "test": []]
        for c in 0..<10 {
            let oneHot = (0..<10).map { $0 == c ? "1" : "0" }.joined(separator: " ")
            for i in 0..<4 { lists["database"]!.append("../gallery/train/class\(c)/\(i).ppm \(oneHot)") }
            lists["test"]!.append("../gallery/test/class\(c)/0.ppm \(oneHot)")
        }
        for (list, lines) in lists { try scratch.write("\(dir)/\(list).txt", Array((lines.joined(separator: "\n") + "\n").utf8)) }
        database = "list:\(scratch.path)/\(dir)/database.txt"
        queries = "list:\(scratch.path)/\(dir)/test.txt"
        let model = try LoadedModel(path: tiny.model)
        for (spec, prefix) in [(database, "trn"), (queries, "tst")] {
            let gallery = try GalleryOpener.open(spec)
            let codes = try GalleryCodes.load(model: model, gallery: gallery, cacheFolder: nil, threads: 1, note: { _ in }, progress: nil).codes
            XCTAssertEqual(codes.count, gallery.count, "every image encoded")
            let signs = (0..<codes.count).map { c in (0..<codes.bits).map { codes.bit($0, ofCode: c) ? Float(1) : -1 } }
            let labels = (0..<codes.count).map { c in (0..<10).map { gallery.items[c].labels.contains($0) ? Float(1) : 0 } }
            try scratch.write("\(dir)/\(prefix)_binary.npy", NPYWriter.float32(signs))
            try scratch.write("\(dir)/\(prefix)_label.npy", NPYWriter.float32(labels))
        }
        folder = scratch.path + "/" + dir
        queryImages = (0..<10).map { "\(scratch.path)/gallery/test/class\($0)/0.ppm" }
    }
}
