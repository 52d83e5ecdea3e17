import Foundation
import Networks
import Retrieval
import Services
import TestSupport
import XCTest
@testable import hashscope

/// `search --codes DIR --model M`: the folder's codes stay the database, and a bent row
/// (--augment) or an image file (--query) is encoded by M. The folder holds the tiny model's own
/// codes of its list images, so `search --model M --gallery database.txt` over the same images
/// is an independent ranking of the same database for the same query code.
final class CodesWithModelSearchTests: XCTestCase {
    private func report(_ result: CommandResult, file: StaticString = #filePath, line: UInt = #line) throws -> SearchJSON {
        XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
        return try JSONDecoder().decode(SearchJSON.self, from: Data(result.stdout.utf8))
    }

    func testABentRowRanksLikeTheModelOnTheDatabaseImagesWithTheBentImage() throws {
        let tiny = try TrainedTinyModel.get()
        let save = try CodesWithModelSaveFolder(tiny, name: "bent")
        for (row, bend) in [(0, "rotate:90"), (3, "crop:0.7,brightness:1.4")] {
            let bent = try report(tiny.run(["search"] + save.arguments + ["--model", tiny.model, "--query-index", "\(row)",
                                                                        "--augment", bend, "--top", "10", "--json"]))
            let direct = try report(tiny.run(["search", "--model", tiny.model, "--gallery", save.database, "--query", save.queryImages[row],
                                              "--augment", bend, "--top", "10", "--json", "--no-cache"]))
            XCTAssertEqual(bent.results.map(\.id), direct.results.map(\.id), "\(bend): the same ranking of the same database")
            XCTAssertEqual(bent.results.map(\.distance), direct.results.map(\.distance))
            XCTAssertEqual(bent.results.map(\.tie_group), direct.results.map(\.tie_group))
            XCTAssertEqual(bent.model, tiny.model)
            XCTAssertEqual(bent.codes, save.folder)
            XCTAssertEqual(bent.query.augment, bend)
            XCTAssertEqual(bent.query.id, "../gallery/test/class\(row)/0.ppm")
            // Judged by the row's label, which the file query has not.
            XCTAssertNil(direct.precision)
            let label = "label\(row)"
            XCTAssertEqual(bent.results.map(\.relevant), bent.results.map { $0.label == label })
            XCTAssertEqual(try XCTUnwrap(bent.precision), Double(bent.results.filter { $0.label == label }.count) / 10, accuracy: 1e-12)
            XCTAssertNotNil(bent.average_precision)
        }
    }

    func testAnImageFileAndAnUnbentRow() throws {
        let tiny = try TrainedTinyModel.get()
        let save = try CodesWithModelSaveFolder(tiny, name: "file")
        let file = tiny.scratch.path + "/gallery/train/class2/1.ppm"
        let viaFolder = try report(tiny.run(["search"] + save.arguments + ["--model", tiny.model, "--query", file, "--top", "6", "--json"]))
        let direct = try report(tiny.run(["search", "--model", tiny.model, "--gallery", save.database, "--query", file, "--top", "6",
                                          "--json", "--no-cache"]))
        XCTAssertEqual(viaFolder.results.map(\.id), direct.results.map(\.id))
        XCTAssertEqual(viaFolder.results.map(\.distance), direct.results.map(\.distance))
        XCTAssertEqual(viaFolder.results.first?.distance, 0, "the database image's own code")
        XCTAssertNil(viaFolder.precision)
        XCTAssertNil(viaFolder.query.label)

        // Unbent, the row searches with the folder's code: the same answer as without a model.
        let unbent = try report(tiny.run(["search"] + save.arguments + ["--model", tiny.model, "--query-index", "4", "--top", "8", "--json"]))
        let codesOnly = try report(tiny.run(["search"] + save.arguments + ["--query-index", "4", "--top", "8", "--json"]))
        XCTAssertEqual(unbent.results.map(\.id), codesOnly.results.map(\.id))
        XCTAssertEqual(unbent.precision, codesOnly.precision)
        XCTAssertEqual(unbent.average_precision, codesOnly.average_precision)
        XCTAssertNil(codesOnly.model)

        // The table says which code it searched with.
        let table = try tiny.run(["search"] + save.arguments + ["--model", tiny.model, "--query-index", "4", "--augment", "flip", "--top", "3"])
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout.hasPrefix("query ../gallery/test/class4/0.ppm (label4), row 4 of \(save.folder)/tst_binary.npy augmented flip, encoded by \(tiny.model)"),
                      table.stdout)
    }

    func testAModelOfAnotherCodeLengthIsOneLineNamingBothFilesBeforeAnyScreen() throws {
        let tiny = try TrainedTinyModel.get()
        let save = try CodesWithModelSaveFolder(tiny, name: "bits")
        let other = tiny.scratch.path + "/dsh32-random.safetensors"
        try ModelFile.save(Architecture.dsh.build(.init(bits: 32)),
                           metadata: ModelMetadata(arch: "dsh", bits: 32, inputSize: .init(height: 32, width: 32), normalization: .cifar10,
                                                   classNames: []), to: other)
        let expected = "hashscope: \(other) makes 32-bit codes, but \(save.folder)/trn_binary.npy holds 16-bit codes"
        for command in [["search"] + save.arguments + ["--model", other, "--query-index", "0", "--augment", "flip"],
                        ["tui"] + save.arguments + ["--model", other]] {
            let result = try tiny.run(command)
            XCTAssertEqual(result.status, 2, result.stderr)
            XCTAssertEqual(result.stderr.split(separator: "\n"), [Substring(expected)], "\(command[0])")
            XCTAssertEqual(result.stdout, "", "nothing drawn")
        }
        // Two models for one folder, and bends without any.
        let two = try tiny.run(["tui"] + save.arguments + ["--model", tiny.model, "--model", other])
        XCTAssertEqual(two.status, 2)
        XCTAssertTrue(two.stderr.contains("at most one --model"), two.stderr)
        let noModel = try tiny.run(["search"] + save.arguments + ["--query-index", "0", "--augment", "flip"])
        XCTAssertEqual(noModel.status, 2)
        XCTAssertTrue(noModel.stderr.contains("give --model FILE"), noModel.stderr)
    }
}
