import Foundation
import Retrieval
import Services
import TestSupport
import XCTest
@testable import hashscope

/// `tui --codes DIR`: a DeepHash-pytorch-shaped save folder (the tiny model's codes over a
/// list-file gallery of generated images, whose relative paths start from --image-root) opens
/// in the explorer with no model. In tmux: the neighbours' thumbnails, ranks and distances are
/// `search --codes`'s, the status line's P@12 and AP are what `metrics` gives for that query on
/// the same .npy files, and a bend key says it needs a network. A bad folder is one line naming
/// the file and exit 2, before any screen.
final class TUICodesFolderTests: XCTestCase {
    private struct SaveFolder {
        let folder: String, database: String, queries: String, imageRoot: String
        /// Per query row, its ±1 code and one-hot label row, as written.
        let querySigns: [[Float]], queryLabels: [[Float]]
        var arguments: [String] { ["--codes", folder, "--gallery", database, "--queries", queries, "--image-root", imageRoot] }
    }

    /// The list files name images relative to the gallery folder (not to their own folder), so
    /// they need the image root; the codes are the tiny model's, encoded through that root.
    private func makeSaveFolder(_ tiny: TrainedTinyModel, name: String) throws -> SaveFolder {
        let scratch = tiny.scratch, dir = "tui-codes-\(name)", root = scratch.path + "/gallery"
        var lists: [String: [String]] = ["database": [], "test": []]
        for c in 0..<10 {
            let oneHot = (0..<10).map { $0 == c ? "1" : "0" }.joined(separator: " ")
            for i in 0..<4 { lists["database"]!.append("train/class\(c)/\(i).ppm \(oneHot)") }
            lists["test"]!.append("test/class\(c)/0.ppm \(oneHot)")
        }
        for (list, lines) in lists { try scratch.write("\(dir)/\(list).txt", Array((lines.joined(separator: "\n") + "\n").utf8)) }
        let database = "list:\(scratch.path)/\(dir)/database.txt", queries = "list:\(scratch.path)/\(dir)/test.txt"
        let model = try LoadedModel(path: tiny.model)
        var querySigns: [[Float]] = [], queryLabels: [[Float]] = []
        for (spec, prefix) in [(database, "trn"), (queries, "tst")] {
            let gallery = try ImageRootGallery(GalleryOpener.open(spec), root: root)
            let codes = try GalleryCodes.load(model: model, gallery: gallery, cacheFolder: nil, threads: 1, note: { _ in }, progress: nil).codes
            XCTAssertEqual(codes.count, gallery.count, "every image encoded")
            var signs: [[Float]] = [], labels: [[Float]] = []
            for c in 0..<codes.count {
                signs.append((0..<codes.bits).map { codes.bit($0, ofCode: c) ? 1 : -1 })
                labels.append((0..<10).map { gallery.items[c].labels.contains($0) ? 1 : 0 })
            }
            try scratch.write("\(dir)/\(prefix)_binary.npy", NPYWriter.float32(rows: signs.count, columns: codes.bits, signs.flatMap { $0 }))
            try scratch.write("\(dir)/\(prefix)_label.npy", NPYWriter.float32(rows: labels.count, columns: 10, labels.flatMap { $0 }))
            if prefix == "tst" { (querySigns, queryLabels) = (signs, labels) }
        }
        return SaveFolder(folder: scratch.path + "/" + dir, database: database, queries: queries, imageRoot: root,
                          querySigns: querySigns, queryLabels: queryLabels)
    }

    /// `metrics` on query `q` alone against the folder's database: its P@k and mAP (= the query's AP).
    private func metrics(_ tiny: TrainedTinyModel, _ save: SaveFolder, query q: Int, at k: Int) throws -> (precision: Double, ap: Double) {
        let bits = save.querySigns[q].count
        try tiny.scratch.write("tui-codes-one/q.npy", NPYWriter.float32(rows: 1, columns: bits, save.querySigns[q]))
        try tiny.scratch.write("tui-codes-one/ql.npy", NPYWriter.float32(rows: 1, columns: 10, save.queryLabels[q]))
        let run = try tiny.run(["metrics", "--query-codes", tiny.scratch.path + "/tui-codes-one/q.npy", "--db-codes", save.folder + "/trn_binary.npy",
                                "--query-labels", tiny.scratch.path + "/tui-codes-one/ql.npy", "--db-labels", save.folder + "/trn_label.npy",
                                "--at", "\(k)", "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let m = try JSONDecoder().decode(MetricsJSON.self, from: Data(run.stdout.utf8))
        return (try XCTUnwrap(m.figures.p_at["\(k)"]), m.figures.map)
    }

    func testTheExplorerOpensASaveFolderWithoutAModelInTmux() throws {
        let tiny = try TrainedTinyModel.get()
        let save = try makeSaveFolder(tiny, name: "good")
        let tmux = try Tmux(scratch: tiny.scratch, columns: 120, rows: 40)
        defer { tmux.kill() }
        tmux.send(literal: "export TERM=tmux-direct XDG_CACHE_HOME=\(tiny.scratch.path)/cache; "
                  + ([CommandRunner.executable.path, "tui"] + save.arguments).joined(separator: " "))
        tmux.send(key: "Enter")
        func settled(_ screen: String) -> Bool { screen.contains("P@12 ") && !screen.contains("working...") }
        var screen = try tmux.wait("the first results", until: settled)
        XCTAssertTrue(screen.contains("codes tui-codes-good (16 bits, no model)"), screen)
        XCTAssertTrue(screen.contains("Top 12 of 40 by exact Hamming"), screen)
        XCTAssertTrue(screen.contains("test/class0/0.ppm"), "the query's path from test.txt:\n\(screen)")

        // The neighbours under their thumbnails: search --codes's ranks, marks and distances.
        let search = try tiny.run(["search"] + save.arguments.dropLast(2) + ["--query-index", "0", "--top", "12", "--json"])
        XCTAssertEqual(search.status, 0, search.stderr)
        let report = try JSONDecoder().decode(SearchJSON.self, from: Data(search.stdout.utf8))
        for r in report.results.prefix(8) {
            let caption = "\(r.relevant == true ? "+" : "x")\(r.rank) d\(r.distance)"
            XCTAssertTrue(screen.contains(caption), "'\(caption)' missing:\n\(screen)")
        }
        // The status line: metrics' P@12 and AP for query 0.
        let m = try metrics(tiny, save, query: 0, at: 12)
        XCTAssertTrue(screen.contains(String(format: "P@12 %.3f", m.precision)), "metrics gives P@12 \(m.precision):\n\(screen)")
        XCTAssertTrue(screen.contains(String(format: "AP %.4f", m.ap)), "metrics gives AP \(m.ap):\n\(screen)")
        XCTAssertNotNil(screen.range(of: #"P@12 [01]\.\d{3} \(ties [01]\.\d{3}\)"#, options: .regularExpression), screen)

        // Thumbnails drawn (truecolour cells), no placeholder dots left.
        let coloured = tiny.scratch.path + "/tui-codes-pane.txt"
        Tmux.tmux(["-S", tmux.socket, "capture-pane", "-p", "-e", "-t", tmux.session], output: coloured)
        let escaped = try String(contentsOfFile: coloured, encoding: .utf8)
        XCTAssertGreaterThan(escaped.components(separatedBy: "8;2;").count, 200, "truecolour thumbnail cells:\n\(escaped.prefix(2000))")
        XCTAssertFalse(screen.contains("........"), "every thumbnail arrived:\n\(screen)")

        // A bend needs a network: the status line says so, the results stay.
        tmux.send(literal: "r")
        screen = try tmux.wait(for: "bends need a network: this folder has codes only", "the bend refusal")
        XCTAssertTrue(screen.contains(String(format: "P@12 %.3f", m.precision)), screen)
        XCTAssertFalse(screen.contains("bend: rotate"), screen)

        // g lists the queries; the second one becomes the query, scored as metrics scores it.
        tmux.send(literal: "g")
        screen = try tmux.wait(for: "Queries test.txt: 10 images", "the query list")
        tmux.send(key: "Right")
        tmux.send(key: "Enter")
        screen = try tmux.wait("query 1") { settled($0) && $0.contains("test/class1/0.ppm") }
        let m1 = try metrics(tiny, save, query: 1, at: 12)
        XCTAssertTrue(screen.contains(String(format: "P@12 %.3f", m1.precision)), "metrics gives P@12 \(m1.precision):\n\(screen)")
        XCTAssertTrue(screen.contains(String(format: "AP %.4f", m1.ap)), "metrics gives AP \(m1.ap):\n\(screen)")

        tmux.send(literal: "q")
        tmux.send(literal: "echo SHELL-IS-BACK")
        tmux.send(key: "Enter")
        _ = try tmux.wait(for: "\nSHELL-IS-BACK\n", "the shell after quit")
    }

    func testAScreenshotOfASaveFolder() throws {
        let tiny = try TrainedTinyModel.get()
        let save = try makeSaveFolder(tiny, name: "shot")
        let png = tiny.scratch.path + "/tui-codes-shot.png"
        let run = try tiny.run(["tui"] + save.arguments + ["--screenshot", png, "--screen-size", "100x30"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("wrote \(png): 100 x 30 cells, 1200 x 720 pixels"), run.stdout)
        let bytes = try XCTUnwrap(FileManager.default.contents(atPath: png))
        XCTAssertEqual(Array(bytes.prefix(4)), [0x89, 0x50, 0x4E, 0x47], "a PNG")
    }

    func testBadFoldersExitTwoNamingTheFileBeforeTheScreen() throws {
        let tiny = try TrainedTinyModel.get()
        let save = try makeSaveFolder(tiny, name: "bad")
        func tui(_ arguments: [String]) throws -> CommandResult { try tiny.run(["tui"] + arguments) }
        func assertOneLine(_ result: CommandResult, starting prefix: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertEqual(result.status, 2, result.stderr, file: file, line: line)
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr, file: file, line: line)
            XCTAssertTrue(result.stderr.hasPrefix("hashscope: " + prefix), result.stderr, file: file, line: line)
        }
        // A good folder without a terminal gets as far as the terminal check.
        let noTTY = try tui(save.arguments)
        XCTAssertEqual(noTTY.status, 2)
        XCTAssertTrue(noTTY.stderr.contains("terminal"), noTTY.stderr)

        // A database list one row short of its codes.
        let short = save.folder + "/short.txt"
        let lines = try String(contentsOfFile: String(save.database.dropFirst(5)), encoding: .utf8).split(separator: "\n").dropLast()
        try (lines.joined(separator: "\n") + "\n").write(toFile: short, atomically: true, encoding: .utf8)
        var arguments = save.arguments
        arguments[3] = "list:" + short
        assertOneLine(try tui(arguments), starting: "\(save.folder)/trn_binary.npy: 40 database codes, but list:\(short) lists 39 images")
        // An image root that is not there.
        assertOneLine(try tui(save.arguments.dropLast() + [tiny.scratch.path + "/nowhere"]), starting: tiny.scratch.path + "/nowhere: no such folder")
        // Flags that do not go with --codes.
        let withIndex = try tui(save.arguments + ["--index", save.folder + "/codes.hsx"])
        XCTAssertEqual(withIndex.status, 2)
        XCTAssertTrue(withIndex.stderr.contains("--codes takes the place of --index"), withIndex.stderr)
        let noQueries = try tui(["--codes", save.folder, "--gallery", save.database])
        XCTAssertEqual(noQueries.status, 2)
        XCTAssertTrue(noQueries.stderr.contains("--queries"), noQueries.stderr)
        // A bad array, then a missing one.
        try Data("not an array".utf8).write(to: URL(fileURLWithPath: save.folder + "/trn_binary.npy"))
        assertOneLine(try tui(save.arguments), starting: "\(save.folder)/trn_binary.npy")
        try FileManager.default.removeItem(atPath: save.folder + "/tst_label.npy")
        try FileManager.default.removeItem(atPath: save.folder + "/trn_binary.npy")
        assertOneLine(try tui(save.arguments), starting: "\(save.folder)/trn_binary.npy")
        try tiny.scratch.write("tui-codes-bad/trn_binary.npy", NPYWriter.float32(rows: 40, columns: 16, (0..<640).map { $0 % 3 == 0 ? -1 : 1 }))
        assertOneLine(try tui(save.arguments), starting: "\(save.folder)/tst_label.npy")
    }
}
