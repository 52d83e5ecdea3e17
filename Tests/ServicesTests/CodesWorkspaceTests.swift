import Basics
import Foundation
import Retrieval
import XCTest
@testable import Services

/// The model-less workspace over a DeepHash-pytorch save folder: its ranking is exact Hamming
/// with ties by database position, its P@n and AP are Retrieval's metrics for that one query
/// (and average to the evaluator's mAP over all queries), and whatever needs a network is
/// refused with one line.
final class CodesWorkspaceTests: XCTestCase {
    private func open(_ fixture: CodesFolderFixture) throws -> CodesWorkspace {
        try CodesWorkspace.open(folder: fixture.folder, gallerySpec: fixture.databaseSpec, querySpec: fixture.querySpec,
                                imageRoot: fixture.imageRoot)
    }

    private func relevant(_ fixture: CodesFolderFixture, query q: Int, database i: Int) -> Bool {
        !Set(fixture.queryLabels[q]).isDisjoint(with: fixture.databaseLabels[i])
    }

    func testTheRankingIsExactHammingWithTiesByDatabasePosition() throws {
        let fixture = try CodesFolderFixture()
        let workspace = try open(fixture)
        XCTAssertNil(workspace.loadedModel)
        XCTAssertFalse(workspace.queriesAreGallery)
        XCTAssertEqual(workspace.codes.count, 60)
        XCTAssertEqual(workspace.queryGallery.count, 6)
        for q in 0..<6 {
            let result = try workspace.search(QueryRequest(source: .item(q), top: 20))
            let order = (0..<60).sorted {
                (fixture.databaseCodes.distance($0, to: fixture.queryCodes, q), $0) < (fixture.databaseCodes.distance($1, to: fixture.queryCodes, q), $1)
            }
            XCTAssertEqual(result.neighbours.map(\.item), Array(order.prefix(20)), "query \(q)")
            for n in result.neighbours {
                XCTAssertEqual(n.distance, fixture.databaseCodes.distance(n.item, to: fixture.queryCodes, q))
                XCTAssertEqual(n.relevant, relevant(fixture, query: q, database: n.item), "shares a label, multi-hot rows included")
            }
            XCTAssertEqual(result.queryLabels, fixture.queryLabels[q], "the query list's labels")
            XCTAssertNil(result.imageProblem)
            XCTAssertEqual(result.original.width, 8, "the query image from the list, read under the image root")
        }
    }

    func testPrecisionAndAPAreRetrievalsMetricsForThatQuery() throws {
        let fixture = try CodesFolderFixture()
        let workspace = try open(fixture)
        let hot = { (rows: [[Int]]) in
            LabelSet.multiHot(MultiHotLabels(rows: rows.map { labels in (0..<CodesFolderFixture.classes).map { labels.contains($0) } }))
        }
        let relevance = try Relevance(query: hot(fixture.queryLabels), database: hot(fixture.databaseLabels))
        let top = 10
        var apSum = 0.0
        for q in 0..<6 {
            let result = try workspace.search(QueryRequest(source: .item(q), top: top))
            let one = RetrievalEvaluator.evaluate(queries: fixture.queryCodes.subset([q]), database: fixture.databaseCodes,
                                                  relevance: relevance.restricted(toQuery: q), cutoffs: [top], threads: 1)
            XCTAssertEqual(try XCTUnwrap(result.precision), one.precisionAt[0], accuracy: 1e-12, "query \(q)")
            XCTAssertEqual(try XCTUnwrap(result.averagePrecision), one.meanAveragePrecision, accuracy: 1e-12, "query \(q)")

            // By hand from the definitions: P@n over the shown neighbours, AP as CalcTopMap over the whole ranking.
            XCTAssertEqual(result.precision!, Double(result.neighbours.filter { $0.relevant == true }.count) / Double(top), accuracy: 1e-12)
            let order = (0..<60).sorted {
                (fixture.databaseCodes.distance($0, to: fixture.queryCodes, q), $0) < (fixture.databaseCodes.distance($1, to: fixture.queryCodes, q), $1)
            }
            var hits = 0, sum = 0.0
            for (position, i) in order.enumerated() where relevant(fixture, query: q, database: i) {
                hits += 1
                sum += Double(hits) / Double(position + 1)
            }
            XCTAssertEqual(result.averagePrecision!, hits == 0 ? 0 : sum / Double(hits), accuracy: 1e-12)
            apSum += result.averagePrecision!

            // Tie-aware figures as TieAwareRanking gives them over the distance groups.
            let groups = result.distanceGroups
            XCTAssertEqual(groups.reduce(0) { $0 + $1.items }, 60)
            let tie = TieAwareRanking(count: 60)
            XCTAssertEqual(try XCTUnwrap(result.tieAwarePrecision), tie.expectedHits(groups, k: top) / Double(top), accuracy: 1e-12)
            XCTAssertEqual(try XCTUnwrap(result.tieAwareAveragePrecision), tie.expectedAveragePrecision(groups, topK: 60), accuracy: 1e-12)
        }
        let all = RetrievalEvaluator.evaluate(queries: fixture.queryCodes, database: fixture.databaseCodes, relevance: relevance,
                                              cutoffs: [top], threads: 1)
        XCTAssertEqual(apSum / 6, all.meanAveragePrecision, accuracy: 1e-12, "the queries' APs average to the evaluator's mAP")
    }

    func testRadiusAndLSHModesRankTheSameCodes() throws {
        let fixture = try CodesFolderFixture()
        let workspace = try open(fixture)
        let within = (0..<60).filter { fixture.databaseCodes.distance($0, to: fixture.queryCodes, 2) <= 5 }
        let radius = try workspace.search(QueryRequest(source: .item(2), top: 60, mode: .radius(5)))
        XCTAssertEqual(radius.withinRadius, within.count)
        XCTAssertEqual(Set(radius.neighbours.map(\.item)), Set(within))
        let lsh = try workspace.search(QueryRequest(source: .item(2), top: 5, mode: .lsh))
        XCTAssertLessThanOrEqual(lsh.neighbours.count, 5)
        for n in lsh.neighbours { XCTAssertEqual(n.distance, fixture.databaseCodes.distance(n.item, to: fixture.queryCodes, 2)) }
    }

    func testBendsFilesAndHeatmapsAreRefusedForWantOfANetwork() throws {
        let fixture = try CodesFolderFixture()
        let workspace = try open(fixture)
        let requests = [QueryRequest(source: .item(0), augmentation: try AugmentationSpec(parsing: "rotate:15")),
                        QueryRequest(source: .file(fixture.imageRoot + "/test/0.ppm")),
                        QueryRequest(source: .item(0), heatmap: true),
                        QueryRequest(source: .item(0), neighbourHeatmaps: true)]
        for request in requests {
            XCTAssertThrowsError(try workspace.search(request)) { error in
                let message = (error as? ServiceError)?.message ?? ""
                XCTAssertTrue(message.hasSuffix("needs a network: \(fixture.folder) has codes only"), message)
            }
        }
        XCTAssertThrowsError(try workspace.search(QueryRequest(source: .item(6)))) { error in
            XCTAssertTrue((error as? ServiceError)?.message.contains("no query") == true, "\(error)")
        }
    }

    func testWithoutTheImageRootTheSearchRunsAndSaysWhichImageIsMissing() throws {
        let fixture = try CodesFolderFixture()
        let workspace = try CodesWorkspace.open(folder: fixture.folder, gallerySpec: fixture.databaseSpec, querySpec: fixture.querySpec)
        let result = try workspace.search(QueryRequest(source: .item(1), top: 5))
        XCTAssertEqual(result.neighbours.count, 5, "the codes need no pixels")
        XCTAssertTrue(result.imageProblem?.contains("\(fixture.folder)/test/1.ppm") == true, result.imageProblem ?? "no problem reported")
        XCTAssertThrowsError(try CodesWorkspace.open(folder: fixture.folder, gallerySpec: fixture.databaseSpec, querySpec: fixture.querySpec,
                                                     imageRoot: fixture.scratch.path + "/nowhere")) { error in
            XCTAssertTrue((error as? ServiceError)?.message.hasPrefix(fixture.scratch.path + "/nowhere: no such folder") == true, "\(error)")
        }
    }

    func testBadFoldersAreOneLineNamingTheFile() throws {
        let fixture = try CodesFolderFixture()
        func failure(_ gallery: String? = nil) -> String {
            do {
                _ = try CodesWorkspace.open(folder: fixture.folder, gallerySpec: gallery ?? fixture.databaseSpec, querySpec: fixture.querySpec)
                return "opened"
            } catch {
                return error.message
            }
        }
        // A database list one row short of its codes.
        let lines = try String(contentsOfFile: fixture.folder + "/database.txt", encoding: .utf8).split(separator: "\n").dropLast()
        try fixture.scratch.write("save/short.txt", Array((lines.joined(separator: "\n") + "\n").utf8))
        XCTAssertEqual(failure("list:\(fixture.folder)/short.txt"),
                       "\(fixture.folder)/trn_binary.npy: 60 database codes, but list:\(fixture.folder)/short.txt lists 59 images")
        // A bad array, then a missing one.
        try fixture.scratch.write("save/tst_label.npy", Array("not numpy".utf8))
        XCTAssertTrue(failure().hasPrefix(fixture.folder + "/tst_label.npy"), failure())
        try FileManager.default.removeItem(atPath: fixture.folder + "/trn_binary.npy")
        XCTAssertTrue(failure().hasPrefix(fixture.folder + "/trn_binary.npy"), failure())
        XCTAssertEqual(failure().split(separator: "\n").count, 1)
    }
}
