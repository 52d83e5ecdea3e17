import Foundation
import Networks
import TestSupport
import XCTest

/// The committed from-scratch models (issue 4's "Done when"): `eval` of each
/// assets/models/cifar10-scratch-B.safetensors (B bits) on CIFAR-10's cifar10-full protocol, from
/// the images end to end (no code cache), gives the mAP@all its metadata records, within 0.002.
/// Needs ../shared.
final class CommittedScratchModelTests: XCTestCase {
    func testCommittedScratchModelsReproduceTheirRecordedMAP() throws {
        let cifar = try TestPaths.sharedDataset("cifar10")
        let folder = TestPaths.repository.appendingPathComponent("assets/models").path
        let names = try FileManager.default.contentsOfDirectory(atPath: folder)
            .filter { $0.hasPrefix("cifar10-scratch-") && $0.hasSuffix(".safetensors") }.sorted()
        XCTAssertTrue(names.contains("cifar10-scratch-48.safetensors"), "the default model is committed: \(names)")
        for name in names {
            let model = folder + "/" + name
            let file = try SafetensorsFile(path: model)
            let metadata = try XCTUnwrap(try ModelMetadata.decode(file.metadata, path: model))
            XCTAssertNil(metadata.backbone, "\(name): a from-scratch model")
            XCTAssertEqual("cifar10-scratch-\(metadata.bits).safetensors", name, "the file name gives the code length")
            XCTAssertEqual(metadata.provenance.evaluationProtocol, "cifar10-full")
            XCTAssertTrue(metadata.provenance.notes?.hasPrefix("hashscope train --arch \(metadata.arch)") ?? false,
                          metadata.provenance.notes ?? "\(name): no command line recorded")
            let recorded = try XCTUnwrap(metadata.provenance.meanAveragePrecision)

            let scratch = try ScratchDirectory()
            var environment = ProcessInfo.processInfo.environment
            environment["XDG_CACHE_HOME"] = scratch.path + "/cache"
            let eval = try CommandRunner.run(["eval", "--model", model, "--dataset", "folder:" + cifar, "--protocol", "cifar10-full",
                                              "--no-cache", "--json"], environment: environment)
            XCTAssertEqual(eval.status, 0, eval.stderr)
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any], eval.stdout)
            let map = try XCTUnwrap(json["map"] as? Double)
            print("committed scratch model \(name): mAP@all \(map), recorded \(recorded)")
            XCTAssertEqual(map, recorded, accuracy: 0.002, name)
            XCTAssertEqual(json["queries"] as? Int, 10_000)
            XCTAssertEqual(json["database"] as? Int, 50_000)
        }
    }
}
