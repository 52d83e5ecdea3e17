import Foundation
import Networks
import TestSupport
import XCTest

/// `hashscope import --torch`, on the checkpoints scripts/make-torch-fixtures.py wrote.
final class ImportCommandTests: XCTestCase {
    private struct Expected: Decodable {
        struct Tensor: Decodable {
            let name: String
            let dtype: String
            let shape: [Int]
            let values: [Double]
        }
        let tensors: [Tensor]
    }

    private let fixtures = TestPaths.repository.appendingPathComponent("Tests/InterchangeTests/Fixtures/torch").path

    private func expected(_ name: String) throws -> Expected {
        let all = try JSONDecoder().decode([String: Expected].self,
                                           from: Data(contentsOf: URL(fileURLWithPath: fixtures + "/expected.json")))
        return try XCTUnwrap(all[name], name)
    }

    func testImportRoundTripsEveryFloatTensor() throws {
        let scratch = try ScratchDirectory()
        for name in ["tiny.pt", "tiny-legacy.pt", "views.pt", "half.pt", "wrapped.pt"] {
            let out = scratch.path + "/\(name).safetensors"
            let result = try CommandRunner.run(["import", "--torch", fixtures + "/" + name, "--out", out])
            XCTAssertEqual(result.status, 0, "\(name): \(result.stderr)")
            let file = try SafetensorsFile(path: out)
            let floats = try expected(name).tensors.filter { !$0.dtype.hasPrefix("int") }
            XCTAssertEqual(file.names, floats.map(\.name).sorted(), name)
            for tensor in floats {
                let back = try file.tensor(tensor.name)
                XCTAssertEqual(back.shape, tensor.shape, "\(name) \(tensor.name)")
                XCTAssertEqual(back.scalars, tensor.values.map { Float($0) }, "\(name) \(tensor.name)")
            }
            XCTAssertEqual(file.metadata["source"], name)
            XCTAssertEqual(file.metadata["provenance"], "imported from PyTorch checkpoint")
            let parameters = floats.reduce(0) { $0 + $1.values.count }
            XCTAssertTrue(result.stdout.contains("\(floats.count) tensors, \(parameters) parameters"), result.stdout)
        }
    }

    func testSummaryListsSkippedIntegerTensorsAndOtherEntries() throws {
        let scratch = try ScratchDirectory()
        let result = try CommandRunner.run(["import", "--torch", fixtures + "/wrapped.pt", "--out", scratch.path + "/w.safetensors"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("skipped 1 integer tensors: bn.num_batches_tracked (int64)"), result.stdout)
        XCTAssertTrue(result.stdout.contains("ignored entries: epoch, arch"), result.stdout)
        XCTAssertTrue(result.stdout.contains("state dict under \"state_dict\""), result.stdout)
    }

    func testDefaultOutputIsTheInputNameWithSafetensors() throws {
        let scratch = try ScratchDirectory()
        let input = try scratch.write("model.pth", Array(Data(contentsOf: URL(fileURLWithPath: fixtures + "/tiny.pt"))))
        let result = try CommandRunner.run(["import", "--torch", input])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try SafetensorsFile(path: scratch.path + "/model.safetensors").entries.count, 8)
    }

    func testBadInputExitsTwoNamingTheFileAndWritesNothing() throws {
        let scratch = try ScratchDirectory()
        let tiny = try Array(Data(contentsOf: URL(fileURLWithPath: fixtures + "/tiny-legacy.pt")))
        let cases: [(String, [UInt8], String)] = [
            ("garbage.pt", Array("not a checkpoint at all".utf8), "not a PyTorch checkpoint"),
            ("cut.pt", Array(tiny.prefix(tiny.count - 10)), "truncated"),
            ("empty.pt", [], "empty file"),
        ]
        for (name, bytes, message) in cases {
            let path = try scratch.write(name, bytes)
            let out = scratch.path + "/\(name).safetensors"
            let result = try CommandRunner.run(["import", "--torch", path, "--out", out])
            XCTAssertEqual(result.status, 2, name)
            XCTAssertTrue(result.stderr.contains(path + ": "), result.stderr)
            XCTAssertTrue(result.stderr.contains(message), result.stderr)
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), name)
        }
        XCTAssertEqual(try CommandRunner.run(["import", "--torch", scratch.path + "/absent.pt"]).status, 2)
    }

    func testHelpNamesTheFlags() throws {
        let result = try CommandRunner.run(["import", "--help"])
        XCTAssertEqual(result.status, 0)
        for flag in ["--torch", "--out", "legacy", "Exit status"] { XCTAssertTrue(result.stdout.contains(flag), flag) }
    }
}
