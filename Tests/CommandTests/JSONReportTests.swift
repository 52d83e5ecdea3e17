import Foundation
import TestSupport
import XCTest
@testable import hashscope

/// Every `--json` output decodes into its report type: the schema the scripts rely on is the
/// type, and a key renamed, dropped or mistyped fails here. Values are checked against the
/// commands' own tables where both exist.
final class JSONReportTests: XCTestCase {
    private func decode<Report: Decodable>(_ type: Report.Type, _ result: CommandResult, file: StaticString = #filePath,
                                           line: UInt = #line) throws -> Report {
        XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
        do { return try JSONDecoder().decode(type, from: Data(result.stdout.utf8)) } catch {
            XCTFail("\(type): \(error)\n\(result.stdout)", file: file, line: line)
            throw error
        }
    }

    func testEvalRobustnessSearchAndIndexInfoDecodeIntoTheirReports() throws {
        let tiny = try TrainedTinyModel.get()
        let eval = try decode(EvalJSON.self, try tiny.run(["eval", "--model", tiny.model, "--dataset", tiny.gallery,
                                                           "--protocol", "cifar10-full", "--json"]))
        XCTAssertEqual(eval.run.protocol, "cifar10-full")
        XCTAssertEqual(eval.metrics.figures.bits, 16)
        XCTAssertEqual(eval.metrics.figures.pr_curve.radius, Array(0...16))
        XCTAssertTrue((0...1).contains(eval.metrics.figures.map))
        // The same keys are a flat object: "map" beside "protocol", as before the types existed.
        let flat = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try tiny.run(["eval", "--model", tiny.model,
            "--dataset", tiny.gallery, "--protocol", "cifar10-full", "--json"]).stdout.utf8)) as? [String: Any])
        XCTAssertEqual(flat["map"] as? Double, eval.metrics.figures.map)
        XCTAssertEqual(flat["protocol"] as? String, "cifar10-full")
        XCTAssertTrue(flat.keys.contains("encode_images_per_second"), "present even when null: \(flat.keys.sorted())")

        let robustness = try decode(RobustnessJSON.self, try tiny.run([
            "robustness", "--model", tiny.model, "--dataset", tiny.gallery, "--protocol", "cifar10-full",
            "--transform", "rotate:0:90:45", "--json"]))
        XCTAssertEqual(robustness.points.map(\.strength), [0, 45, 90])
        XCTAssertEqual(robustness.points[0].map, eval.metrics.figures.map, accuracy: 1e-9)

        let query = tiny.scratch.path + "/gallery/test/class3/0.ppm"
        let search = try decode(SearchJSON.self, try tiny.run(["search", "--model", tiny.model, "--gallery", tiny.gallery,
                                                               "--query", query, "--top", "5", "--json"]))
        XCTAssertEqual(search.results.map(\.rank), [1, 2, 3, 4, 5])
        XCTAssertNil(search.precision, "a file query has no label")
        XCTAssertNil(search.query.id)
        XCTAssertEqual(search.results.map(\.distance), search.results.map(\.distance).sorted())

        let index = tiny.scratch.path + "/json-report.hsix"
        let build = try tiny.run(["index", "build", "--model", tiny.model, "--gallery", tiny.gallery, "--out", index])
        XCTAssertEqual(build.status, 0, build.stderr)
        let info = try decode(IndexInfoJSON.self, try tiny.run(["index", "info", index, "--json"]))
        XCTAssertEqual(info.kind, "hashscope")
        XCTAssertTrue(info.checksum_verified)
        XCTAssertEqual(info.bits, 16)
        XCTAssertEqual(info.codes, 50)
        XCTAssertNil(info.feature_dimension)
        let table = try tiny.run(["index", "info", index])
        XCTAssertTrue(table.stdout.contains("codes        \(info.codes) x \(info.bits) bits"), table.stdout)
    }

    func testMetricsDecodesIntoItsReport() throws {
        let f = TestPaths.repository.appendingPathComponent("Tests/RetrievalTests/Fixtures/metrics").path
        let metrics = try decode(MetricsJSON.self, try CommandRunner.run([
            "metrics", "--query-codes", "\(f)/single16_pm1f32_query_codes.npy", "--db-codes", "\(f)/single16_pm1f32_db_codes.npy",
            "--query-labels", "\(f)/single16_pm1f32_query_labels.npy", "--db-labels", "\(f)/single16_pm1f32_db_labels.npy", "--json"]))
        XCTAssertEqual(metrics.figures.queries, 40)
        XCTAssertEqual(metrics.figures.database, 300)
        XCTAssertEqual(metrics.figures.bits, 16)
        XCTAssertEqual(Set(metrics.figures.p_at.keys), Set(metrics.figures.r_at.keys))
        let tieAware = try XCTUnwrap(metrics.tie_aware)
        XCTAssertEqual(Set(tieAware.p_at.keys), Set(metrics.figures.p_at.keys))
        XCTAssertEqual(tieAware.p_r2, metrics.figures.p_r2)
        XCTAssertTrue((0...1).contains(tieAware.map))
    }
}
