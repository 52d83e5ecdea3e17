import Foundation
import Basics
import Render
import TestSupport
import XCTest

/// `search` end to end on TestSupport's tiny gallery and its 1-epoch model.
final class SearchCommandTests: XCTestCase {
    private func fixture() throws -> (scratch: ScratchDirectory, gallery: String, model: String) {
        let fixture = try TrainedTinyModel.get()
        return (fixture.scratch, fixture.gallery, fixture.model)
    }

    private func run(_ arguments: [String], _ scratch: ScratchDirectory) throws -> CommandResult {
        try TrainedTinyModel.get().run(["search"] + arguments)
    }

    func testJSONRanksTheGalleryWithoutTheQueryItself() throws {
        let (scratch, gallery, model) = try fixture()
        let id = try XCTUnwrap(firstTestID(scratch: scratch, gallery: gallery, model: model))

        let result = try run(["--model", model, "--gallery", gallery, "--query-id", id, "--top", "7", "--json"], scratch)
        XCTAssertEqual(result.status, 0, result.stderr)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout)
        let results = try XCTUnwrap(report["results"] as? [[String: Any]])
        XCTAssertEqual(results.count, 7)
        XCTAssertEqual(report["database"] as? Int, 50)
        XCTAssertFalse(results.contains { $0["id"] as? String == id }, "the query item is left out")
        let distances = results.compactMap { $0["distance"] as? Int }
        XCTAssertEqual(distances.count, 7)
        XCTAssertEqual(distances, distances.sorted())
        let queryLabel = try XCTUnwrap((report["query"] as? [String: Any])?["label"] as? String)
        var relevant = 0
        for r in results {
            let label = try XCTUnwrap(r["label"] as? String)
            let isRelevant = try XCTUnwrap(r["relevant"] as? Bool)
            XCTAssertEqual(isRelevant, label == queryLabel, "\(r)")
            if isRelevant { relevant += 1 }
        }
        XCTAssertEqual(try XCTUnwrap(report["precision"] as? Double), Double(relevant) / 7, accuracy: 1e-12)

        // The second run reads the cached gallery codes and ranks the same.
        let again = try run(["--model", model, "--gallery", gallery, "--query-id", id, "--top", "7", "--json"], scratch)
        XCTAssertEqual(again.status, 0, again.stderr)
        let cached = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(cached["cached"] as? Bool, true)
        XCTAssertEqual((cached["results"] as? [[String: Any]])?.compactMap { $0["id"] as? String },
                       results.compactMap { $0["id"] as? String })
    }

    /// An index file of the same model's codes serves as the database; one made by another
    /// model is refused (its codes are not comparable), naming the index.
    func testIndexFileOfThisModelServesAndAnotherModelsIsRefused() throws {
        let (scratch, gallery, model) = try fixture()
        let id = try XCTUnwrap(firstTestID(scratch: scratch, gallery: gallery, model: model))
        let encoded = try run(["--model", model, "--gallery", gallery, "--query-id", id, "--top", "5", "--json"], scratch)
        XCTAssertEqual(encoded.status, 0, encoded.stderr)
        let cacheFolder = scratch.path + "/cache/hashscope/codes"
        let indexName = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: cacheFolder).first { $0.hasSuffix("-gallery.hsix") })
        let index = cacheFolder + "/" + indexName

        let fromIndex = try run(["--model", model, "--index", index, "--gallery", gallery, "--query-id", id, "--top", "5", "--json"], scratch)
        XCTAssertEqual(fromIndex.status, 0, fromIndex.stderr)
        func ids(_ result: CommandResult) throws -> [String] {
            let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            return (report["results"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
        }
        XCTAssertEqual(try ids(fromIndex), try ids(encoded))

        let other = scratch.path + "/other.safetensors"
        let train = try CommandRunner.run(["train", "--arch", "dsh", "--bits", "16", "--dataset", gallery, "--protocol", "cifar10-full",
                                           "--epochs", "1", "--batch", "8", "--seed", "6", "--out", other])
        XCTAssertEqual(train.status, 0, train.stderr)
        let refused = try run(["--model", other, "--index", index, "--gallery", gallery, "--query-id", id, "--top", "5"], scratch)
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("\(index): its codes were made by another model"), refused.stderr)
        XCTAssertEqual(refused.stdout, "")
    }

    /// The id of a test item, read from a search by file (which lists every kind of id).
    private func firstTestID(scratch: ScratchDirectory, gallery: String, model: String) throws -> String? {
        let file = scratch.path + "/gallery/test/class3/0.ppm"
        let result = try run(["--model", model, "--gallery", gallery, "--query", file, "--top", "50", "--json"], scratch)
        XCTAssertEqual(result.status, 0, result.stderr)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertTrue(report["precision"] is NSNull, "a file query has no label")
        let ids = (report["results"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
        XCTAssertEqual(ids.count, 50)
        return ids.first { $0.contains("class3") && $0.contains("test") } ?? ids.first
    }

    func testPrintDrawsThumbnailsWithDistancesAndLabels() throws {
        let (scratch, gallery, model) = try fixture()
        let file = scratch.path + "/gallery/test/class3/0.ppm"
        let result = try run(["--model", model, "--gallery", gallery, "--query", file, "--augment", "rotate:10,brightness:1.1",
                              "--top", "4", "--print", "--columns", "8"], scratch)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("\u{1B}[38;2;"), "truecolor escapes")
        XCTAssertTrue(result.stdout.contains("query"), result.stdout)
        for rank in 1...4 { XCTAssertTrue(result.stdout.contains("#\(rank) d="), result.stdout) }
        XCTAssertFalse(result.stdout.contains("#5 d="))
        XCTAssertTrue(result.stdout.contains("class"), "labels under the thumbnails")

        let mono = try run(["--model", model, "--gallery", gallery, "--query", file, "--top", "2", "--print", "--colors", "256"], scratch)
        XCTAssertEqual(mono.status, 0, mono.stderr)
        XCTAssertTrue(mono.stdout.contains("\u{1B}[38;5;"), "256-colour escapes")
    }

    func testSheetWritesADecodableJPEG() throws {
        let (scratch, gallery, model) = try fixture()
        let file = scratch.path + "/gallery/test/class5/0.ppm"
        let out = scratch.path + "/sheet.jpg"
        let result = try run(["--model", model, "--gallery", gallery, "--query", file, "--top", "6", "--sheet", out], scratch)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("wrote \(out)"), result.stdout)
        let bytes = try FileBytes.read(out)
        XCTAssertEqual(Array(bytes.prefix(3)), [0xFF, 0xD8, 0xFF])
        let image = try ImageDecoder.decode(file: out)
        XCTAssertGreaterThan(image.width, 100)
        XCTAssertGreaterThan(image.height, 50)
    }

    func testBadInputExitsTwoWithOneLineAndWritesNothing() throws {
        let (scratch, gallery, model) = try fixture()
        let file = scratch.path + "/gallery/test/class3/0.ppm"
        let out = scratch.path + "/bad.jpg"
        let cases: [([String], String)] = [
            (["--model", scratch.path + "/missing.safetensors", "--gallery", gallery, "--query", file], "missing.safetensors"),
            (["--model", model, "--gallery", "folder:" + scratch.path + "/nowhere", "--query", file], "nowhere"),
            (["--model", model, "--query", file], "gallery"),
            (["--model", model, "--gallery", gallery], "query"),
            (["--model", model, "--gallery", gallery, "--query", scratch.path + "/none.ppm"], "none.ppm"),
            (["--model", model, "--gallery", gallery, "--query-id", "no/such/item.ppm"], "no/such/item.ppm"),
            (["--model", model, "--gallery", gallery, "--query", file, "--augment", "rotate:30,twirl:2"], "twirl"),
            (["--model", model, "--gallery", gallery, "--query", file, "--top", "0"], "--top"),
        ]
        for (arguments, needle) in cases {
            let result = try run(arguments + ["--sheet", out], scratch)
            XCTAssertEqual(result.status, 2, "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stdout, "", "\(arguments)")
            let lines = result.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains(needle), "\(needle) not in: \(result.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        }
    }
}
