import Foundation
import Networks
import TestSupport
import XCTest

/// The committed from-scratch CIFAR-10 models (every self-contained model whose protocol is
/// cifar10-full): each is named cifar10-NAME-B.safetensors for its B bits and records the command
/// that trained it; one per arch (the 48-bit one where there is one: CI re-evaluates a sample,
/// scripts/eval-committed-models every model) is evaluated with `eval` from the images end to
/// end (no code cache) and must give the mAP@all its metadata records, within 0.002. Needs ../shared.
final class CommittedScratchModelTests: XCTestCase {
    func testCommittedScratchModelsReproduceTheirRecordedMAP() throws {
        let cifar = try TestPaths.sharedDataset("cifar10")
        let folder = TestPaths.repository.appendingPathComponent("assets/models").path
        var byArch: [String: [(name: String, metadata: ModelMetadata)]] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder).sorted() where name.hasSuffix(".safetensors") {
            let model = folder + "/" + name
            let metadata = try XCTUnwrap(try ModelMetadata.decode(try SafetensorsFile(path: model).metadata, path: model), name)
            guard metadata.backbone == nil, metadata.provenance.evaluationProtocol == "cifar10-full" else { continue }
            XCTAssertTrue(name.hasPrefix("cifar10-") && name.hasSuffix("-\(metadata.bits).safetensors"), "\(name): the file name gives the code length")
            XCTAssertTrue(metadata.provenance.notes?.hasPrefix("hashscope train --arch \(metadata.arch)") ?? false,
                          metadata.provenance.notes ?? "\(name): no command line recorded")
            byArch[metadata.arch, default: []].append((name, metadata))
        }
        XCTAssertEqual(byArch["cbam"]?.contains { $0.name == "cifar10-scratch-48.safetensors" }, true, "the default model is committed")
        for (arch, models) in byArch.sorted(by: { $0.key < $1.key }) {
            let sample = models.first { $0.metadata.bits == 48 } ?? models[0]
            let model = folder + "/" + sample.name
            let recorded = try XCTUnwrap(sample.metadata.provenance.meanAveragePrecision)
            let scratch = try ScratchDirectory()
            var environment = ProcessInfo.processInfo.environment
            environment["XDG_CACHE_HOME"] = scratch.path + "/cache"
            let eval = try CommandRunner.run(["eval", "--model", model, "--dataset", "folder:" + cifar, "--protocol", "cifar10-full",
                                              "--no-cache", "--json"], environment: environment)
            XCTAssertEqual(eval.status, 0, eval.stderr)
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any], eval.stdout)
            let map = try XCTUnwrap(json["map"] as? Double)
            print("committed \(arch) model \(sample.name): mAP@all \(map), recorded \(recorded)")
            XCTAssertEqual(map, recorded, accuracy: 0.002, sample.name)
            XCTAssertEqual(json["queries"] as? Int, 10_000)
            XCTAssertEqual(json["database"] as? Int, 50_000)
        }
    }
}
