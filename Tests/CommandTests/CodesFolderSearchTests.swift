import Foundation
import Interchange
import Retrieval
import Services
import TestSupport
import XCTest
@testable import hashscope

/// `search --codes DIR`: a DeepHash-pytorch-shaped save folder (codes of the tiny model over a
/// list-file gallery of generated images, written as DeepHash-pytorch writes them: ±1 float32
/// codes, one-hot float32 labels) opens without a model; the ranked list and its P@n and AP are
/// what `metrics` gives for that query; a bad folder is exit 2 naming the file.
final class CodesFolderSearchTests: XCTestCase {
    /// The save folder and its list files; returns (folder, database spec, queries spec).
    private func makeSaveFolder(_ tiny: TrainedTinyModel, name: String) throws -> (String, String, String) {
        let scratch = tiny.scratch, dir = "deephash-\(name)"
        var lists: [String: [String]] = ["database": [], "test": []]
        for c in 0..<10 {
            let oneHot = (0..<10).map { $0 == c ? "1" : "0" }.joined(separator: " ")
            for i in 0..<4 { lists["database"]!.append("../gallery/train/class\(c)/\(i).ppm \(oneHot)") }
            lists["test"]!.append("../gallery/test/class\(c)/0.ppm \(oneHot)")
        }
        for (list, lines) in lists { try scratch.write("\(dir)/\(list).txt", Array((lines.joined(separator: "\n") + "\n").utf8)) }
        let database = "list:\(scratch.path)/\(dir)/database.txt", queries = "list:\(scratch.path)/\(dir)/test.txt"
        let model = try LoadedModel(path: tiny.model)
        for (spec, prefix) in [(database, "trn"), (queries, "tst")] {
            let gallery = try GalleryOpener.open(spec)
            let codes = try GalleryCodes.load(model: model, gallery: gallery, cacheFolder: nil, threads: 1, note: { _ in }, progress: nil).codes
            var signs: [Float] = [], labels: [Float] = []
            for c in 0..<codes.count {
                for j in 0..<codes.bits { signs.append(codes.bit(j, ofCode: c) ? 1 : -1) }
                for k in 0..<10 { labels.append(gallery.items[c].labels.contains(k) ? 1 : 0) }
            }
            try scratch.write("\(dir)/\(prefix)_binary.npy", NPYWriter.float32(rows: codes.count, columns: codes.bits, signs))
            try scratch.write("\(dir)/\(prefix)_label.npy", NPYWriter.float32(rows: codes.count, columns: 10, labels))
        }
        return (scratch.path + "/" + dir, database, queries)
    }

    func testASaveFolderOpensWithoutAModelAndScoresAsMetricsDoes() throws {
        let tiny = try TrainedTinyModel.get()
        let (folder, database, queries) = try makeSaveFolder(tiny, name: "good")
        let result = try tiny.run(["search", "--codes", folder, "--gallery", database, "--queries", queries, "--query-index", "3",
                                   "--top", "5", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let report = try JSONDecoder().decode(SearchJSON.self, from: Data(result.stdout.utf8))
        XCTAssertNil(report.model)
        XCTAssertEqual(report.codes, folder)
        XCTAssertEqual(report.database, 40)
        XCTAssertEqual(report.results.count, 5)
        XCTAssertEqual(report.results.map(\.distance), report.results.map(\.distance).sorted())
        XCTAssertTrue(report.results.allSatisfy { $0.id.contains("/train/") }, "results come from the database list")
        XCTAssertEqual(report.query.label, "label3", "list files name classes by column")

        // metrics on that one query: the same P@5 and AP.
        let q = try NPYFile.read(folder + "/tst_binary.npy"), l = try NPYFile.read(folder + "/tst_label.npy")
        let bits = q.shape[1]
        let row = try NPYInputs.codes(q, source: "q")
        var signs: [Float] = [], labels: [Float] = []
        for j in 0..<bits { signs.append(row.bit(j, ofCode: 3) ? 1 : -1) }
        let labelRows = try NPYInputs.labels(l, source: "l")
        if case .multiHot(let rows) = labelRows {
            for k in 0..<10 { labels.append(rows.words[3 * rows.wordsPerRow] >> UInt64(k) & 1 == 1 ? 1 : 0) }
        } else { XCTFail("one-hot rows read as multi-hot") }
        try tiny.scratch.write("one/q.npy", NPYWriter.float32(rows: 1, columns: bits, signs))
        try tiny.scratch.write("one/ql.npy", NPYWriter.float32(rows: 1, columns: 10, labels))
        let metrics = try tiny.run(["metrics", "--query-codes", tiny.scratch.path + "/one/q.npy", "--db-codes", folder + "/trn_binary.npy",
                                    "--query-labels", tiny.scratch.path + "/one/ql.npy", "--db-labels", folder + "/trn_label.npy",
                                    "--at", "5", "--json"])
        XCTAssertEqual(metrics.status, 0, metrics.stderr)
        let m = try JSONDecoder().decode(MetricsJSON.self, from: Data(metrics.stdout.utf8))
        XCTAssertEqual(try XCTUnwrap(report.precision), try XCTUnwrap(m.figures.p_at["5"]), accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(report.average_precision), m.figures.map, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(report.tie_aware_precision), try XCTUnwrap(m.tie_aware?.p_at["5"]), accuracy: 1e-12)

        let table = try tiny.run(["search", "--codes", folder, "--gallery", database, "--queries", queries,
                                  "--query-id", "../gallery/test/class3/0.ppm", "--top", "5"])
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout.contains("precision@5 "), table.stdout)
    }

    func testBadFoldersExitTwoNamingTheFile() throws {
        let tiny = try TrainedTinyModel.get()
        let (folder, database, queries) = try makeSaveFolder(tiny, name: "bad")
        func search(_ extra: [String] = [], gallery: String? = nil) throws -> CommandResult {
            try tiny.run(["search", "--codes", folder, "--gallery", gallery ?? database, "--queries", queries, "--query-index", "0"] + extra)
        }
        // Fewer database images listed than codes.
        let short = tiny.scratch.path + "/deephash-bad/short.txt"
        let lines = try String(contentsOfFile: String(database.dropFirst(5)), encoding: .utf8).split(separator: "\n").dropLast()
        try lines.joined(separator: "\n").appending("\n").write(toFile: short, atomically: true, encoding: .utf8)
        let mismatch = try search(gallery: "list:" + short)
        XCTAssertEqual(mismatch.status, 2)
        XCTAssertTrue(mismatch.stderr.hasPrefix("hashscope: \(folder)/trn_binary.npy: 40 database codes, but list:\(short) lists 39"), mismatch.stderr)
        // A bend needs a network.
        let bent = try search(["--augment", "rotate:15"])
        XCTAssertEqual(bent.status, 2)
        XCTAssertTrue(bent.stderr.contains("no network"), bent.stderr)
        // A missing array.
        try FileManager.default.removeItem(atPath: folder + "/trn_label.npy")
        let missing = try search()
        XCTAssertEqual(missing.status, 2)
        XCTAssertEqual(missing.stderr.split(separator: "\n").count, 1, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("\(folder)/trn_label.npy"), missing.stderr)
    }
}
