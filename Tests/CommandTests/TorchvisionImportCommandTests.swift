import Foundation
@testable import hashscope
import Networks
import Services
import TestSupport
import XCTest

/// `import --arch deephash-...` on the command line, and a DeepHash-pytorch network's model
/// file used like any other (eval, search, models). The renaming itself is TorchvisionImportTests';
/// parity with PyTorch on real torch.save files is `scripts/parity-pytorch --torchvision`.
final class TorchvisionImportCommandTests: XCTestCase {
    private let fixtures = TestPaths.repository.appendingPathComponent("Tests/InterchangeTests/Fixtures/torch").path

    func testImportingAnotherNetworkAsAFamilyIsRefusedNamingTheFile() throws {
        let scratch = try ScratchDirectory()
        let out = scratch.path + "/m.safetensors"
        let result = try CommandRunner.run(["import", "--torch", fixtures + "/tiny.pt", "--arch", "deephash-resnet50", "--out", out])
        XCTAssertEqual(result.status, 2, result.stderr)
        XCTAssertTrue(result.stderr.contains("tiny.pt: not a deephash-resnet50 state dict"), result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "nothing written")
    }

    func testArchAndBitsAreChecked() throws {
        let cbam = try CommandRunner.run(["import", "--torch", fixtures + "/tiny.pt", "--arch", "cbam"])
        XCTAssertEqual(cbam.status, 2)
        XCTAssertTrue(cbam.stderr.contains("unknown --arch cbam (importable: deephash-alexnet, deephash-vgg16, deephash-resnet18"), cbam.stderr)
        let bits = try CommandRunner.run(["import", "--torch", fixtures + "/tiny.pt", "--bits", "48"])
        XCTAssertEqual(bits.status, 2)
        XCTAssertTrue(bits.stderr.contains("--bits needs --arch"), bits.stderr)
    }

    /// An imported DeepHash ResNet-18 is a model like any other: `models` lists it, `eval`
    /// encodes a gallery through it at 224 x 224, `search` ranks with it.
    func testAnImportedNetworkOpensInEvalSearchAndModels() throws {
        let scratch = try ScratchDirectory()
        let gallery = try TinyGallery.make(in: scratch)
        let (_, tensors) = DeepHashStateDict.resNet(.deephashResNet18, bits: 16)
        let imported = try TorchvisionImport(tensors: tensors, path: "run/model.pt", format: "zip", arch: .deephashResNet18, bits: 16)
        try FileManager.default.createDirectory(atPath: scratch.path + "/models", withIntermediateDirectories: true)
        let model = scratch.path + "/models/resnet18.safetensors"
        try ModelFile.save(imported.network, metadata: imported.metadata, to: model)
        let environment = ProcessInfo.processInfo.environment.merging(["XDG_CACHE_HOME": scratch.path + "/cache"]) { $1 }

        let models = try CommandRunner.run(["models", scratch.path + "/models", "--json"], environment: environment)
        XCTAssertEqual(models.status, 0, models.stderr)
        XCTAssertTrue(models.stdout.contains("\"arch\" : \"deephash-resnet18\""), models.stdout)

        let eval = try CommandRunner.run(["eval", "--model", model, "--dataset", gallery, "--protocol", "cifar10-full", "--json"],
                                         environment: environment)
        XCTAssertEqual(eval.status, 0, eval.stderr)
        let report = try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any]
        let map = try XCTUnwrap(report?["map"] as? Double, eval.stdout)
        XCTAssertTrue((0...1).contains(map), "\(map)")

        let query = scratch.path + "/gallery/test/class3/0.ppm"
        let search = try CommandRunner.run(["search", "--model", model, "--gallery", gallery, "--query", query, "--top", "3", "--json"],
                                           environment: environment)
        XCTAssertEqual(search.status, 0, search.stderr)
        let ranked = try JSONSerialization.jsonObject(with: Data(search.stdout.utf8)) as? [String: Any]
        XCTAssertEqual((ranked?["results"] as? [Any])?.count, 3, search.stdout)
    }

    /// The bench's GFLOP/s rest on these counts: torchvision's published multiply-adds at 224
    /// (its model table's GFLOPS column), within 1%.
    func testMultiplyAddCountsMatchTorchvisionsTable() {
        let published: [(Architecture, Double)] = [
            (.deephashAlexNet, 0.71), (.deephashVGG16, 15.47), (.deephashResNet18, 1.81),
            (.deephashResNet34, 3.66), (.deephashResNet50, 4.09), (.deephashResNet101, 7.80),
        ]
        for (arch, gmacs) in published {
            let count = Double(BenchNetworkCommand.forwardMultiplyAdds(arch, bits: 48, classes: nil, size: 224)) / 1e9
            XCTAssertEqual(count, gmacs, accuracy: gmacs * 0.01, arch.rawValue)
        }
    }
}
