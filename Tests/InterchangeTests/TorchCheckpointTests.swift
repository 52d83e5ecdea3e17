import Foundation
import Interchange
import TestSupport
import XCTest

/// PyTorch checkpoints in both formats, on the fixtures scripts/make-torch-fixtures.py wrote
/// with torch 2.13 (expected.json holds every tensor's name, dtype, shape and values).
final class TorchCheckpointTests: XCTestCase {
    private struct Expected: Decodable {
        struct Tensor: Decodable {
            let name: String
            let dtype: String
            let shape: [Int]
            let values: [Double]
        }
        let state_dict_key: String?
        let tensors: [Tensor]
    }

    private func fixture(_ name: String) throws -> String {
        let root = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil), "no Fixtures in the test bundle")
        return root.appendingPathComponent("torch/" + name).path
    }

    private func expected() throws -> [String: Expected] {
        try JSONDecoder().decode([String: Expected].self, from: Data(contentsOf: URL(fileURLWithPath: try fixture("expected.json"))))
    }

    /// Reads `path` expecting a TorchCheckpointError; returns it after checking it names the file on one line.
    private func failure(_ path: String, file: StaticString = #filePath, line: UInt = #line) -> TorchCheckpointError? {
        do {
            let checkpoint = try TorchCheckpoint(path: path)
            XCTFail("\(path) read as \(checkpoint.tensors.count) tensors", file: file, line: line)
            return nil
        } catch {
            let message = error.localizedDescription
            XCTAssertTrue(message.hasPrefix(path + ": "), message, file: file, line: line)
            XCTAssertFalse(message.contains("\n"), message, file: file, line: line)
            return error
        }
    }

    func testEveryFixtureReadsToExactlyTheExpectedTensors() throws {
        let all = try expected()
        XCTAssertEqual(all.count, 7)
        for (name, want) in all.sorted(by: { $0.key < $1.key }) {
            let checkpoint = try TorchCheckpoint(path: try fixture(name))
            XCTAssertEqual(checkpoint.format, name.contains("legacy") ? .legacy : .zip, name)
            XCTAssertEqual(checkpoint.stateDictKey, want.state_dict_key, name)
            XCTAssertEqual(checkpoint.tensors.map(\.name), want.tensors.map(\.name), name)
            for (got, tensor) in zip(checkpoint.tensors, want.tensors) {
                XCTAssertEqual(got.dtype.rawValue, tensor.dtype, "\(name) \(tensor.name)")
                XCTAssertEqual(got.shape, tensor.shape, "\(name) \(tensor.name)")
                // Exact: every stored value (float64 ones rounded once) is a Float32.
                XCTAssertEqual(got.values, tensor.values.map { Float($0) }, "\(name) \(tensor.name)")
            }
        }
    }

    func testWrappedStateDictNamesTheOtherEntries() throws {
        let checkpoint = try TorchCheckpoint(path: try fixture("wrapped.pt"))
        XCTAssertEqual(checkpoint.stateDictKey, "state_dict")
        XCTAssertEqual(checkpoint.otherEntries, ["epoch", "arch"])
        XCTAssertEqual(checkpoint.tensors, try TorchCheckpoint(path: try fixture("tiny.pt")).tensors)
    }

    func testLegacyAndZipGiveIdenticalTensors() throws {
        for stem in ["tiny", "views"] {
            let zip = try TorchCheckpoint(path: try fixture(stem + ".pt"))
            let legacy = try TorchCheckpoint(path: try fixture(stem + "-legacy.pt"))
            XCTAssertFalse(zip.tensors.isEmpty)
            XCTAssertEqual(zip.tensors, legacy.tensors, stem)
        }
    }

    func testViewsAreCopiedContiguouslyFromTheirStrides() throws {
        let views = try TorchCheckpoint(path: try fixture("views.pt"))
        // base = arange(12) * 0.5 - 1; head = base[2:8]; grid = base[3:12].view(3, 3)[:, ::2].
        let base = (0..<12).map { Float($0) * 0.5 - 1 }
        XCTAssertEqual(views.tensor("shared.head")?.values, Array(base[2..<8]))
        XCTAssertEqual(views.tensor("shared.grid")?.shape, [3, 2])
        XCTAssertEqual(views.tensor("shared.grid")?.values, [3, 5, 6, 8, 9, 11].map { base[$0] })
        XCTAssertEqual(views.tensor("transposed")?.shape, [5, 3])
    }

    func testEveryTruncationIsATypedErrorNamingTheFile() throws {
        let scratch = try ScratchDirectory()
        for name in ["tiny.pt", "tiny-legacy.pt"] {
            let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: try fixture(name))))
            // Every cut near the ends and around each structure boundary would be ideal; every
            // 3rd byte plus both ends keeps the test fast and still crosses every field.
            let cuts = Set(Array(0..<80) + Array(stride(from: 80, to: bytes.count, by: 3)) + Array(bytes.count - 80 ..< bytes.count))
            for length in cuts.sorted() {
                let path = try scratch.write("cut-\(length)-\(name)", Array(bytes.prefix(length)))
                if case .truncated = failure(path)?.problem {} else { XCTFail("\(name) cut to \(length) bytes: not reported as truncated"); break }
                try FileManager.default.removeItem(atPath: path)
            }
        }
    }

    func testGarbageIsNotACheckpoint() throws {
        let scratch = try ScratchDirectory()
        var generator = SplitMix(seed: 5)
        let random = (0..<4096).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        // pickle.dumps({"a": 1}, protocol=2): a pickle, but not torch.save's.
        let plainPickle: [UInt8] = [0x80, 0x02, 0x7D, 0x71, 0x00, 0x58, 0x01, 0x00, 0x00, 0x00, 0x61, 0x71, 0x01, 0x4B, 0x01, 0x73, 0x2E]
        for (name, bytes) in [("random.pt", [0x13] + random), ("text.pt", Array("hello, world\n".utf8)),
                              ("pickle.pt", plainPickle), ("proto-garbage.pt", [0x80] + random)] {
            let path = try scratch.write(name, bytes)
            guard case .notACheckpoint = failure(path)?.problem else { XCTFail("\(name): not reported as not a checkpoint"); continue }
        }
        XCTAssertNotNil(failure(scratch.path + "/missing.pt"))
    }

    func testDamagedArchivesGiveTheirOwnErrors() throws {
        let scratch = try ScratchDirectory()
        let tiny = try Array(Data(contentsOf: URL(fileURLWithPath: try fixture("tiny.pt"))))
        // Renaming storage 3 (bn.bias's; in the local header and the central directory) loses it.
        let missing = try scratch.write("missing.pt", replacing(Array("tiny/data/3".utf8), with: Array("tiny/data/Z".utf8), in: tiny))
        XCTAssertEqual(failure(missing)?.problem, .missingStorage(key: "3", tensor: "bn.bias"))
        // A storage class this reader does not know.
        let dtype = try scratch.write("dtype.pt", replacing(Array("FloatStorage".utf8), with: Array("QuantStorage".utf8), in: tiny))
        XCTAssertEqual(failure(dtype)?.problem, .unsupportedDType(storage: "QuantStorage", tensor: "conv.weight"))
        // shared.head's storage offset 2 -> 240, far past its 12-element storage.
        let views = try Array(Data(contentsOf: URL(fileURLWithPath: try fixture("views.pt"))))
        let bounds = try scratch.write("bounds.pt", replacing([0x51, 0x4B, 0x02, 0x4B, 0x06, 0x85], with: [0x51, 0x4B, 0xF0, 0x4B, 0x06, 0x85], in: views))
        guard case .outOfBounds(let tensor, _) = failure(bounds)?.problem else { return XCTFail("not out of bounds") }
        XCTAssertEqual(tensor, "shared.head")
    }

    func testRandomDamageNeverCrashes() throws {
        let scratch = try ScratchDirectory()
        var generator = SplitMix(seed: 11)
        for name in ["tiny.pt", "tiny-legacy.pt", "views-legacy.pt"] {
            let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: try fixture(name))))
            for trial in 0..<150 {
                var damaged = bytes
                for _ in 0..<1 + Int(generator.next() % 4) {
                    damaged[Int(generator.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: generator.next())
                }
                let path = try scratch.write("\(trial)-\(name)", damaged)
                // Either it still reads (a value byte changed) or it fails with the typed error.
                do { _ = try TorchCheckpoint(path: path) } catch {
                    XCTAssertTrue(error.localizedDescription.hasPrefix(path + ": "), error.localizedDescription)
                }
                try FileManager.default.removeItem(atPath: path)
            }
        }
    }

    private func replacing(_ pattern: [UInt8], with replacement: [UInt8], in bytes: [UInt8]) throws -> [UInt8] {
        precondition(pattern.count == replacement.count)
        var result = bytes, found = 0
        for start in 0...(bytes.count - pattern.count) where Array(bytes[start ..< start + pattern.count]) == pattern {
            result.replaceSubrange(start ..< start + pattern.count, with: replacement)
            found += 1
        }
        XCTAssertGreaterThan(found, 0, "pattern not in the fixture")
        return result
    }
}

/// A small seeded generator, so damage tests are the same every run.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
