import Foundation
import Basics
import Render
import Retrieval
import TestSupport
import XCTest
@testable import Services

/// The engine behind the screen on a real model and gallery (TestSupport's tiny gallery and its
/// 1-epoch dsh model): search modes, scores, exclusion of the query, files, errors, export.
final class WorkspaceTests: XCTestCase {
    private func open() throws -> Workspace {
        let tiny = try TrainedTinyModel.get()
        return try Workspace.open(modelPath: tiny.model, gallerySpec: tiny.gallery, cacheFolder: nil, threads: 1)
    }

    func testExactSearchLeavesTheQueryOutAndScoresAgainstLabels() throws {
        let workspace = try open()
        XCTAssertEqual(workspace.codes.count, 50)
        let item = 3
        let result = try workspace.search(QueryRequest(source: .item(item), top: 10))
        XCTAssertEqual(result.neighbours.count, 10)
        XCTAssertFalse(result.neighbours.contains { $0.item == item })
        XCTAssertEqual(result.neighbours.map(\.distance), result.neighbours.map(\.distance).sorted())
        let label = workspace.gallery.items[item].labels
        for n in result.neighbours { XCTAssertEqual(n.relevant, workspace.gallery.items[n.item].labels == label) }
        XCTAssertEqual(result.precision ?? -1, Double(result.neighbours.filter { $0.relevant == true }.count) / 10, accuracy: 1e-12)
        // AP as the evaluator computes it for this query against the other 49 items.
        let others = (0..<50).filter { workspace.codeItems[$0] != item }
        let queryCode = workspace.codes.subset([workspace.codeItems.firstIndex(of: item)!])
        let expected = RetrievalEvaluator.evaluate(
            queries: queryCode, database: workspace.codes.subset(others),
            relevance: try Relevance(query: .classIDs([label[0]]),
                                     database: .classIDs(others.map { workspace.gallery.items[workspace.codeItems[$0]].labels[0] })),
            threads: 1).meanAveragePrecision
        XCTAssertEqual(result.averagePrecision ?? -1, expected, accuracy: 1e-12)
    }

    func testRadiusAndLSHAgreeWithExact() throws {
        let workspace = try open()
        let exact = try workspace.search(QueryRequest(source: .item(7), top: 49))
        let radius = try workspace.search(QueryRequest(source: .item(7), top: 49, mode: .radius(2)))
        let within = exact.neighbours.filter { $0.distance <= 2 }
        XCTAssertEqual(radius.withinRadius, within.count)
        XCTAssertEqual(radius.neighbours, within)
        let lsh = try workspace.search(QueryRequest(source: .item(7), top: 5, mode: .lsh))
        XCTAssertLessThanOrEqual(lsh.neighbours.count, 5)
        let exactDistances = Dictionary(uniqueKeysWithValues: exact.neighbours.map { ($0.item, $0.distance) })
        for n in lsh.neighbours {
            XCTAssertEqual(n.distance, exactDistances[n.item], "LSH reports the true Hamming distance")
            XCTAssertNotEqual(n.item, 7)
        }
    }

    func testAugmentationChangesWhatIsEncoded() throws {
        let workspace = try open()
        let plain = try workspace.search(QueryRequest(source: .item(0), top: 5))
        let bent = try workspace.search(QueryRequest(source: .item(0), augmentation: try AugmentationSpec(parsing: "rotate:90,flip"), top: 5))
        XCTAssertEqual(plain.original, bent.original)
        XCTAssertNotEqual(bent.augmented, bent.original)
        XCTAssertNil(plain.heatmap, "dsh has no attention")
    }

    func testAFileQueryHasNoLabelAndAMissingFileIsAnError() throws {
        let workspace = try open()
        let tiny = try TrainedTinyModel.get()
        let file = tiny.scratch.path + "/gallery/test/class2/0.ppm"
        let result = try workspace.search(QueryRequest(source: .file(file), top: 4))
        XCTAssertNil(result.precision)
        XCTAssertNil(result.averagePrecision)
        XCTAssertEqual(result.neighbours.count, 4)
        XCTAssertNil(result.neighbours[0].relevant)
        XCTAssertThrowsError(try workspace.search(QueryRequest(source: .file(tiny.scratch.path + "/nope.jpg")))) { error in
            XCTAssertTrue("\(error.localizedDescription)".contains("nope.jpg"), error.localizedDescription)
        }
    }

    func testOpeningABadModelNamesTheFile() throws {
        let tiny = try TrainedTinyModel.get()
        let bad = tiny.scratch.path + "/not-a-model.safetensors"
        try Data("hello".utf8).write(to: URL(fileURLWithPath: bad))
        XCTAssertThrowsError(try Workspace.open(modelPath: bad, gallerySpec: tiny.gallery, cacheFolder: nil, threads: 1)) { error in
            XCTAssertTrue(error.localizedDescription.contains("not-a-model.safetensors"), error.localizedDescription)
        }
    }

    func testExportWritesASheetAndJSONWithoutOverwriting() throws {
        let workspace = try open()
        let tiny = try TrainedTinyModel.get()
        let result = try workspace.search(QueryRequest(source: .item(1), top: 6))
        let stem = tiny.scratch.path + "/export-\(UUID().uuidString.prefix(6))"
        let first = try ResultExport.write(result, workspace: workspace, stem: stem)
        XCTAssertEqual(first, [stem + ".jpg", stem + ".json"])
        let sheet = try ImageDecoder.decode(file: first[0])
        XCTAssertGreaterThan(sheet.width, 100)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: first[1]))) as? [String: Any])
        XCTAssertEqual((json["results"] as? [[String: Any]])?.count, 6)
        XCTAssertEqual(json["top"] as? Int, 6)
        let second = try ResultExport.write(result, workspace: workspace, stem: stem)
        XCTAssertEqual(second, [stem + "-2.jpg", stem + "-2.json"])
    }

    func testIndexBuildFeedsTheWorkspaceAndAForeignIndexIsRefused() throws {
        let tiny = try TrainedTinyModel.get()
        let path = tiny.scratch.path + "/tiny-\(UUID().uuidString.prefix(6)).hsix"
        let build = try tiny.run(["index", "build", "--model", tiny.model, "--gallery", tiny.gallery, "--out", path])
        XCTAssertEqual(build.status, 0, build.stderr)
        XCTAssertTrue(build.stdout.contains("50 codes of 16 bits"), build.stdout)
        let encoded = try open()
        let indexed = try Workspace.open(modelPath: tiny.model, gallerySpec: tiny.gallery, indexPath: path, cacheFolder: nil, threads: 1)
        XCTAssertEqual(indexed.codeItems, encoded.codeItems)
        XCTAssertEqual(indexed.codes.packedBytes(), encoded.codes.packedBytes())
        let request = QueryRequest(source: .item(2), top: 6)
        XCTAssertEqual(try indexed.search(request).neighbours, try encoded.search(request).neighbours)

        let foreign = tiny.scratch.path + "/foreign-\(UUID().uuidString.prefix(6)).hsix"
        let file = try IndexFile.read(path)
        try IndexFile.write(HashIndex(codes: file.codes, labels: file.labels, itemIDs: file.itemIDs,
                                      metadata: .init(modelFingerprint: String(repeating: "0", count: 64), gallery: tiny.gallery)), to: foreign)
        XCTAssertThrowsError(try Workspace.open(modelPath: tiny.model, gallerySpec: tiny.gallery, indexPath: foreign, cacheFolder: nil,
                                                threads: 1)) { error in
            XCTAssertTrue(error.localizedDescription.contains("not made by"), error.localizedDescription)
        }
    }

    func testNeighboursCarryTheirTieGroupAndTheTieAwareFiguresAreInRange() throws {
        let workspace = try open()
        let item = 3
        let result = try workspace.search(QueryRequest(source: .item(item), top: 10))
        let selfCode = workspace.codeItems.firstIndex(of: item)!
        let queryCode = workspace.codes.subset([selfCode])
        var seen: [Int: Int] = [:]
        for n in result.neighbours {
            let atDistance = (0..<workspace.codes.count).filter {
                $0 != selfCode && workspace.codes.distance($0, to: queryCode, 0) == n.distance
            }.count
            XCTAssertEqual(n.tieGroupSize, atDistance, "group of d\(n.distance)")
            seen[n.distance, default: 0] += 1
            XCTAssertEqual(n.tieRank, seen[n.distance], "place in the group, in ranking order")
        }
        // Tie-aware P@10: the expected relevant share of the top 10 over every order of ties.
        let p = try XCTUnwrap(result.tieAwarePrecision), ap = try XCTUnwrap(result.tieAwareAveragePrecision)
        XCTAssertTrue((0...1).contains(p) && (0...1).contains(ap), "\(p) \(ap)")
        // With no tie among the ranked items the two precisions agree.
        if result.neighbours.allSatisfy({ $0.tieGroupSize == 1 }) { XCTAssertEqual(p, result.precision ?? -1, accuracy: 1e-12) }
        // A file query has no labels: no tie-aware figures.
        let file = try workspace.search(QueryRequest(source: .file(try TrainedTinyModel.get().scratch.path + "/gallery/test/class3/0.ppm"), top: 5))
        XCTAssertNil(file.tieAwarePrecision)
    }
}
