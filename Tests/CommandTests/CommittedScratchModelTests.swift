import Foundation
import Networks
import TestSupport
import XCTest

/// The committed from-scratch model (issue 4's "Done when"): `eval` of
/// assets/models/cifar10-scratch-48.safetensors on CIFAR-10's cifar10-full protocol, from the
/// images end to end (no code cache), gives the mAP@all its metadata records, within 0.002.
/// Needs ../shared.
final class CommittedScratchModelTests: XCTestCase {
    func testCommittedScratchModelReproducesItsRecordedMAP() throws {
        let cifar = try TestPaths.sharedDataset("cifar10")
        let model = TestPaths.repository.appendingPathComponent("assets/models/cifar10-scratch-48.safetensors").path
        let file = try SafetensorsFile(path: model)
        let metadata = try XCTUnwrap(try ModelMetadata.decode(file.metadata, path: model))
        XCTAssertNil(metadata.backbone, "a from-scratch model")
        XCTAssertEqual(metadata.bits, 48)
        XCTAssertEqual(metadata.provenance.evaluationProtocol, "cifar10-full")
        XCTAssertTrue(metadata.provenance.notes?.hasPrefix("hashscope train --arch \(metadata.arch)") ?? false,
                      metadata.provenance.notes ?? "no command line recorded")
        let recorded = try XCTUnwrap(metadata.provenance.meanAveragePrecision)

        let scratch = try ScratchDirectory()
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CACHE_HOME"] = scratch.path + "/cache"
        let eval = try CommandRunner.run(["eval", "--model", model, "--dataset", "folder:" + cifar, "--protocol", "cifar10-full",
                                          "--no-cache", "--json"], environment: environment)
        XCTAssertEqual(eval.status, 0, eval.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any], eval.stdout)
        let map = try XCTUnwrap(json["map"] as? Double)
        print("committed scratch model: mAP@all \(map), recorded \(recorded)")
        XCTAssertEqual(map, recorded, accuracy: 0.002)
        XCTAssertEqual(json["queries"] as? Int, 10_000)
        XCTAssertEqual(json["database"] as? Int, 50_000)
    }
}
