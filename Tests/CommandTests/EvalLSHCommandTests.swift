import Foundation
import Networks
import Basics
import Render
import Retrieval
import TestSupport
import Services
import XCTest

/// `eval --search lsh` end to end on TestSupport's tiny gallery and its trained model
/// (cifar10-full: 10 queries, 40 database images).
final class EvalLSHCommandTests: XCTestCase {
    private func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }

    private func lsh(_ fixture: TrainedTinyModel, _ options: [String], json: Bool = true) throws -> CommandResult {
        try fixture.run(["eval", "--model", fixture.model, "--dataset", fixture.gallery, "--protocol", "cifar10-full",
                         "--search", "lsh"] + options + (json ? ["--json"] : []))
    }

    func testLSHReportsTheMetricsAndItsCosts() throws {
        let fixture = try TrainedTinyModel.get()
        let result = try lsh(fixture, ["--tables", "2", "--table-bits", "6", "--probes", "1"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let report = try json(result.stdout)
        for key in ["search", "map", "topk", "queries", "database", "bits", "multi_label", "p_at", "r_at",
                    "candidate_precision", "candidate_recall", "candidates_per_query", "query_ms", "build_seconds",
                    "tables", "table_bits", "probes", "protocol", "model", "dataset", "encode_images_per_second", "cached"] {
            XCTAssertNotNil(report[key], "eval --search lsh JSON lacks \(key)")
        }
        for key in ["p_r2", "r_r2", "pr_curve"] { XCTAssertNil(report[key], "\(key) is a Hamming-radius metric") }
        XCTAssertEqual(report["search"] as? String, "lsh")
        XCTAssertEqual(report["queries"] as? Int, 10)
        XCTAssertEqual(report["database"] as? Int, 40)
        XCTAssertEqual(report["topk"] as? Int, 40)
        XCTAssertEqual(report["bits"] as? Int, 16)
        XCTAssertEqual(report["tables"] as? Int, 2)
        XCTAssertEqual(report["table_bits"] as? Int, 6)
        XCTAssertEqual(report["probes"] as? Int, 1)
        XCTAssertEqual(report["cached"] as? Bool, false)
        let candidates = try XCTUnwrap(report["candidates_per_query"] as? Double)
        XCTAssertTrue(candidates > 0 && candidates <= 40, "\(candidates) candidates per query")
        XCTAssertGreaterThan(try XCTUnwrap(report["query_ms"] as? Double), 0)
        XCTAssertTrue((0...1).contains(try XCTUnwrap(report["map"] as? Double)))
        XCTAssertEqual(Set(try XCTUnwrap(report["p_at"] as? [String: Double]).keys), ["10", "100", "1000"])

        let table = try lsh(fixture, [], json: false)
        XCTAssertEqual(table.status, 0, table.stderr)
        for line in ["search       lsh: 8 tables x 16 bits, 4 probes per table", "mAP@all", "probed set", "candidates",
                     "query time", "protocol     cifar10-full"] {
            XCTAssertTrue(table.stdout.contains(line), "no '\(line)' in\n\(table.stdout)")
        }
        XCTAssertFalse(table.stdout.contains("radius"), table.stdout)
    }

    /// Probing every bucket ranks the whole database by cosine: the metrics equal those of an
    /// exact cosine ranking computed here from the model's outputs, whatever the tables.
    func testEveryBucketProbedEqualsExactCosineRanking() throws {
        let fixture = try TrainedTinyModel.get()
        let one = try json(lsh(fixture, ["--tables", "1", "--table-bits", "2", "--probes", "4"]).stdout)
        let capped = try json(lsh(fixture, ["--tables", "3", "--table-bits", "5", "--probes", "1000"]).stdout)
        XCTAssertEqual(capped["probes"] as? Int, 32, "probes are capped at 2^K")
        for report in [one, capped] { XCTAssertEqual(report["candidates_per_query"] as? Double, 40) }

        // Exact cosine ranking, by hand: encode as eval does, rank by cosine (ties by index), score.
        let loaded = try LoadedModel(path: fixture.model)
        let gallery = try GalleryOpener.open(fixture.gallery)
        let split = try EvaluationProtocol.cifar10Full.split(gallery)
        let load: ImageBatchLoader.ImageSource = { try gallery.image(at: $0) }
        let queries = NetworkEncoder.encode(loaded.network, indices: split.query, preprocessor: loaded.preprocessor, load: load)
        let database = NetworkEncoder.encode(loaded.network, indices: split.database, preprocessor: loaded.preprocessor, load: load)
        XCTAssertEqual(queries.indices, split.query)
        XCTAssertEqual(database.indices, split.database)
        var exact = ExactCosineSearch(dimension: 16)
        try exact.add(FeatureMatrix(dimension: 16, values: database.values))
        let rankings = try exact.rangeSearch(FeatureMatrix(dimension: 16, values: queries.values), minSimilarity: -.infinity)
        let label = { (i: Int) in gallery.items[i].labels[0] }
        var map = 0.0, pAt10 = 0.0, rAt10 = 0.0
        for (q, ranking) in rankings.enumerated() {
            XCTAssertEqual(ranking.count, 40)
            let relevant = ranking.map { label(split.database[$0.index]) == label(split.query[q]) }
            let total = relevant.filter { $0 }.count
            var hits = 0, sum = 0.0
            for (position, isRelevant) in relevant.enumerated() where isRelevant {
                hits += 1
                sum += Double(hits) / Double(position + 1)
            }
            map += hits == 0 ? 0 : sum / Double(hits)
            let top10 = relevant.prefix(10).filter { $0 }.count
            pAt10 += Double(top10) / 10
            rAt10 += total == 0 ? 0 : Double(top10) / Double(total)
        }
        for report in [one, capped] {
            XCTAssertEqual(try XCTUnwrap(report["map"] as? Double), map / 10, accuracy: 1e-12)
            XCTAssertEqual(try XCTUnwrap((report["p_at"] as? [String: Double])?["10"]), pAt10 / 10, accuracy: 1e-12)
            XCTAssertEqual(try XCTUnwrap((report["r_at"] as? [String: Double])?["10"]), rAt10 / 10, accuracy: 1e-12)
            XCTAssertEqual(try XCTUnwrap(report["candidate_recall"] as? Double), 1, accuracy: 1e-12)
        }
    }

    func testBadSearchOptionsExitTwoWithOneLine() throws {
        let fixture = try TrainedTinyModel.get()
        let cases: [([String], String)] = [
            (["--tables", "0"], "--tables must be 1...256 (got 0)"),
            (["--tables", "257"], "--tables must be 1...256 (got 257)"),
            (["--table-bits", "0"], "--table-bits must be 1...32 (got 0)"),
            (["--table-bits", "33"], "--table-bits must be 1...32 (got 33)"),
            (["--probes", "0"], "--probes must be at least 1 (got 0)"),
        ]
        for (options, message) in cases {
            let result = try lsh(fixture, options, json: false)
            XCTAssertEqual(result.status, 2, "\(options): \(result.stderr)")
            XCTAssertEqual(result.stderr, "hashscope: \(message)\n", "\(options)")
            XCTAssertEqual(result.stdout, "")
        }
        let unknown = try fixture.run(["eval", "--model", fixture.model, "--dataset", fixture.gallery, "--protocol", "cifar10-full",
                                       "--search", "faiss"])
        XCTAssertEqual(unknown.status, 2, unknown.stderr)
        XCTAssertEqual(unknown.stderr, "hashscope: unknown --search 'faiss': expected exact or lsh\n")
        XCTAssertEqual(unknown.stdout, "")
    }
}
