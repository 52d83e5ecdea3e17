import Foundation
import Networks
import TestSupport
import XCTest
@testable import hashscope

/// `hashscope models`: a folder of small model files written here, listed from their metadata,
/// grouped by arch; a file that is no model is named on stderr with exit 2, the rest still listed.
final class ModelsCommandTests: XCTestCase {
    private func writeModel(_ arch: Architecture, bits: Int, map: Double, epochs: Int, warmStart: String? = nil,
                            to path: String) throws {
        let network = arch.build(.init(bits: bits, inputSize: 32, classes: arch == .dsh ? nil : 10, seed: 3))
        let metadata = ModelMetadata(arch: arch.rawValue, bits: bits, inputSize: .init(height: 32, width: 32),
                                     normalization: .cifar10, classNames: (0..<10).map { "class\($0)" },
                                     provenance: .init(dataset: "folder:somewhere", evaluationProtocol: "cifar10-full",
                                                       epochs: epochs, seed: 3, wallTimeSeconds: 125.4, meanAveragePrecision: map,
                                                       warmStart: warmStart))
        try ModelFile.save(network, metadata: metadata, to: path)
    }

    func testListsEveryModelGroupedByArchAndNamesABadFile() throws {
        let scratch = try ScratchDirectory()
        let folder = scratch.path + "/models"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try writeModel(.dsh, bits: 24, map: 0.5, epochs: 3, to: folder + "/b-dsh-24.safetensors")
        try writeModel(.cbam, bits: 12, map: 0.25, epochs: 2, warmStart: "\(folder)/c.safetensors (cbam, 48 bits, mAP 0.7000, sha256 00)",
                       to: folder + "/a-cbam-12.safetensors")
        try writeModel(.dsh, bits: 12, map: 0.4, epochs: 4, to: folder + "/c-dsh-12.safetensors")
        let json = try CommandRunner.run(["models", folder, "--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let report = try JSONDecoder().decode(ModelsJSON.self, from: Data(json.stdout.utf8))
        // dsh before cbam (Architecture.allCases), then by bits.
        XCTAssertEqual(report.models.map { URL(fileURLWithPath: $0.file).lastPathComponent },
                       ["c-dsh-12.safetensors", "b-dsh-24.safetensors", "a-cbam-12.safetensors"])
        XCTAssertEqual(report.models.map(\.map), [0.4, 0.5, 0.25])
        XCTAssertEqual(report.models.map(\.epochs), [4, 3, 2])
        XCTAssertEqual(report.models[0].protocol, "cifar10-full")
        XCTAssertEqual(report.models[0].wall_time_seconds, 125.4)
        XCTAssertNil(report.models[0].warm_start)
        XCTAssertEqual(report.models[2].warm_start?.hasPrefix(folder + "/c.safetensors"), true)
        XCTAssertTrue(report.problems.isEmpty)

        let table = try CommandRunner.run(["models", folder])
        XCTAssertEqual(table.status, 0, table.stderr)
        let lines = table.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 4, table.stdout)
        XCTAssertTrue(lines[1].hasPrefix("c-dsh-12") && lines[1].contains("0.4000") && lines[1].contains("2m05s"), table.stdout)
        XCTAssertTrue(lines[3].contains("c.safetensors (mAP 0.7000)"), table.stdout)

        // A damaged file and a safetensors file without hashscope metadata: named, exit 2, the rest listed.
        try Data("not a model".utf8).write(to: URL(fileURLWithPath: folder + "/broken.safetensors"))
        try ModelFile.save(stateDict: [(name: "w", value: Tensor.zeros([2]))], to: folder + "/plain.safetensors")
        let bad = try CommandRunner.run(["models", folder])
        XCTAssertEqual(bad.status, 2)
        XCTAssertEqual(bad.stdout.split(separator: "\n").count, 4, bad.stdout)
        let errors = bad.stderr.split(separator: "\n")
        XCTAssertEqual(errors.count, 2, bad.stderr)
        XCTAssertTrue(errors[0].hasPrefix("hashscope: \(folder)/broken.safetensors"), bad.stderr)
        XCTAssertTrue(errors[1].contains("\(folder)/plain.safetensors: no hashscope metadata"), bad.stderr)

        let missing = try CommandRunner.run(["models", scratch.path + "/nowhere"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.hasPrefix("hashscope: \(scratch.path)/nowhere: cannot list the folder"), missing.stderr)
    }

    /// A head says which backbone it sits on and, when it fine-tuned more than the last stage, how much.
    func testHeadsShowTheirBackboneAndHowMuchOfItTrained() throws {
        let scratch = try ScratchDirectory()
        for (name, blocks) in [("one", 1), ("five", 5)] {
            let network = Architecture.cbam.build(.init(bits: 12, inputSize: 32, classes: 10, seed: 3, backbone: .efficientNetLite0,
                                                        fineTunedBlocks: blocks))
            let metadata = ModelMetadata(arch: "cbam", bits: 12, inputSize: .init(height: 32, width: 32), normalization: .efficientNetLite,
                                         classNames: (0..<10).map { "class\($0)" }, backbone: "efficientnet-lite0",
                                         backboneFineTunedBlocks: blocks > 1 ? blocks : nil)
            try ModelFile.save(network, metadata: metadata, to: scratch.path + "/\(name).safetensors")
        }
        let json = try CommandRunner.run(["models", scratch.path, "--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let report = try JSONDecoder().decode(ModelsJSON.self, from: Data(json.stdout.utf8))
        XCTAssertEqual(report.models.map { URL(fileURLWithPath: $0.file).lastPathComponent }, ["five.safetensors", "one.safetensors"])
        XCTAssertEqual(report.models.map(\.backbone_fine_tuned_blocks), [5, 1])
        let table = try CommandRunner.run(["models", scratch.path])
        let lines = table.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 3, table.stdout)
        XCTAssertTrue(lines[1].hasPrefix("five") && lines[1].contains("efficientnet-lite0 (5 blocks)"), table.stdout)
        XCTAssertTrue(lines[2].hasPrefix("one") && lines[2].contains("efficientnet-lite0") && !lines[2].contains("blocks"), table.stdout)
    }

    func testTheCommittedModelsAreListedWithTheirRecordedMAP() throws {
        let result = try CommandRunner.run(["models", TestPaths.repository.appendingPathComponent("assets/models").path, "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let report = try JSONDecoder().decode(ModelsJSON.self, from: Data(result.stdout.utf8))
        let scratch48 = try XCTUnwrap(report.models.first { $0.file.hasSuffix("/cifar10-scratch-48.safetensors") })
        XCTAssertEqual(scratch48.arch, "cbam")
        XCTAssertEqual(scratch48.bits, 48)
        XCTAssertEqual(try XCTUnwrap(scratch48.map), 0.7933, accuracy: 5e-5)
    }
}
