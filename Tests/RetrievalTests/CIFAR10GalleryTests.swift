import Interchange
import Foundation
import Basics
import TestSupport
import XCTest
@testable import Retrieval

/// CIFAR-10 in its binary and python forms, on the fixtures scripts/make-fixtures.py made from
/// the shared CIFAR-10 JPEGs (20 train records in 5 batches, the first 10 test records).
final class CIFAR10GalleryTests: XCTestCase {
    static let standardNames = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

    /// Fixtures/<name>, as a path.
    private func fixture(_ name: String) throws -> String {
        let root = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil), "no Fixtures in the test bundle")
        return root.appendingPathComponent(name).path
    }

    /// sources.txt: per record in gallery order, its id and the JPEG it was made from.
    private func sources() throws -> [(id: String, jpeg: String)] {
        let text = try String(contentsOfFile: try fixture("cifar10-bin/sources.txt"), encoding: .utf8)
        return text.split(separator: "\n").map { line in
            let parts = line.split(separator: " ")
            return (String(parts[0]), String(parts[1]))
        }
    }

    /// Every way the fixtures can be named: the parent folders and the batch folders themselves.
    private func allSpecs() throws -> [String] {
        [
            "cifar10:" + (try fixture("cifar10-bin")),
            "cifar10:" + (try fixture("cifar10-bin/cifar-10-batches-bin")),
            "cifar10:" + (try fixture("cifar10-py")),
            "cifar10:" + (try fixture("cifar10-py/cifar-10-batches-py")),
            "cifar10:" + (try fixture("cifar10-py3")),
        ]
    }

    func testBothFormatsAndBothPickleFlavoursOpen() throws {
        let sources = try sources()
        XCTAssertEqual(sources.count, 30)
        for spec in try allSpecs() {
            let gallery = try GalleryOpener.open(spec)
            XCTAssertTrue(gallery is CIFAR10Gallery, spec)
            XCTAssertEqual(gallery.problems, [], spec)
            XCTAssertEqual(gallery.count, 30, spec)
            XCTAssertEqual(gallery.splitCounts(), [.train: 20, .test: 10], spec)
            XCTAssertEqual(gallery.classNames, Self.standardNames, spec)
            XCTAssertFalse(gallery.isMultiLabel)
            XCTAssertTrue(gallery.fixedImageSize.map { $0 == (32, 32) } ?? false, spec)
            XCTAssertEqual(gallery.items.map(\.id), sources.map(\.id), spec)
            // The label is the class folder of the JPEG the record came from.
            let expected = sources.map { [Self.standardNames.firstIndex(of: $0.jpeg.split(separator: "/")[2].description)!] }
            XCTAssertEqual(gallery.items.map(\.labels), expected, spec)
            XCTAssertEqual(gallery.items.map(\.split), Array(repeating: Split.train, count: 20) + Array(repeating: .test, count: 10), spec)
        }
        // The binary batches are preferred when a folder holds both kinds.
        let binary = try CIFAR10Gallery(spec: GallerySpec(kind: .cifar10, path: try fixture("cifar10-bin")))
        XCTAssertTrue(binary.directory.hasSuffix("cifar-10-batches-bin"))
    }

    func testPixelsAreTheSourceJPEGsDecoded() throws {
        let datasets = try TestPaths.sharedDataset("cifar10")
        let root = URL(fileURLWithPath: datasets).deletingLastPathComponent()
        let sources = try sources()
        for spec in try allSpecs() {
            let gallery = try GalleryOpener.open(spec)
            for (index, source) in sources.enumerated() {
                let expected = try ImageDecoder.decode(file: root.appendingPathComponent(source.jpeg).path)
                XCTAssertEqual(try gallery.image(at: index), expected, "\(spec) item \(index) (\(source.jpeg))")
            }
        }
    }

    func testBinaryAndPythonFormatsGiveIdenticalPixels() throws {
        let galleries = try allSpecs().map { try GalleryOpener.open($0) }
        for index in 0..<30 {
            let reference = try galleries[0].image(at: index)
            XCTAssertEqual([reference.width, reference.height], [32, 32])
            for gallery in galleries.dropFirst() {
                XCTAssertEqual(try gallery.image(at: index), reference, "\(gallery.spec) item \(index)")
            }
        }
        let inspection = GalleryInspection.inspect(galleries[2], decode: true)
        XCTAssertEqual(inspection.unreadable, [])
        XCTAssertEqual(inspection.sizes, [GalleryInspection.ImageSize(width: 32, height: 32): 30])
    }

    // MARK: - Bad batches are skipped, the rest loads

    func testBinaryBatchOfTheWrongLength() throws {
        let scratch = try copyOf("cifar10-bin/cifar-10-batches-bin")
        let path = scratch.path + "/data_batch_2.bin"
        try append([1, 2, 3, 4, 5], to: path)
        let gallery = try CIFAR10Gallery(spec: GallerySpec(kind: .cifar10, path: scratch.path))
        XCTAssertEqual(gallery.count, 26)
        XCTAssertFalse(gallery.items.contains { $0.id.hasPrefix("data_batch_2/") })
        XCTAssertEqual(gallery.problems.count, 1)
        XCTAssertEqual(gallery.problems.first?.source, path)
        XCTAssertTrue(gallery.problems.first?.message.contains("length 12297 bytes is not a multiple of 3073") == true, "\(gallery.problems)")
    }

    func testBinaryLabelOutOfRangeAndMissingBatch() throws {
        let scratch = try copyOf("cifar10-bin/cifar-10-batches-bin")
        var test = try bytes(scratch.path + "/test_batch.bin")
        test[2 * 3073] = 12
        try Data(test).write(to: URL(fileURLWithPath: scratch.path + "/test_batch.bin"))
        try FileManager.default.removeItem(atPath: scratch.path + "/data_batch_4.bin")
        try FileManager.default.removeItem(atPath: scratch.path + "/batches.meta.txt")
        let gallery = try CIFAR10Gallery(spec: GallerySpec(kind: .cifar10, path: scratch.path))
        XCTAssertEqual(gallery.splitCounts(), [.train: 16])  // batch 4 simply absent, the test batch refused
        XCTAssertEqual(gallery.classNames, Self.standardNames)  // no meta file: the standard names
        XCTAssertEqual(gallery.problems, [GalleryProblem(source: scratch.path + "/test_batch.bin",
                                                         message: "record 2 has label 12, outside the 10 classes 0...9")])
    }

    func testPicklesThatAreNotCIFARBatches() throws {
        let scratch = try copyOf("cifar10-py3/cifar-10-batches-py")
        // Random bytes, {'a': 1} and [1, 2] at protocol 2, a pickle cut in half.
        var random = SeededBytes(seed: 7)
        try scratch.write("data_batch_1", random.take(4000))
        try scratch.write("data_batch_2", [0x80, 2, 0x5D, 0x71, 0, 0x28, 0x4B, 1, 0x4B, 2, 0x65, 0x2E])
        try scratch.write("data_batch_3", [0x80, 2, 0x7D, 0x71, 0, 0x58, 1, 0, 0, 0, 0x61, 0x71, 1, 0x4B, 1, 0x73, 0x2E])
        let test = try bytes(scratch.path + "/test_batch")
        try scratch.write("test_batch", Array(test.prefix(test.count / 2)))
        let gallery = try CIFAR10Gallery(spec: GallerySpec(kind: .cifar10, path: scratch.path))
        XCTAssertEqual(gallery.items.map(\.id), (0..<4).map { "data_batch_4/\($0)" } + (0..<4).map { "data_batch_5/\($0)" })
        let messages = Dictionary(uniqueKeysWithValues: gallery.problems.map { (URL(fileURLWithPath: $0.source).lastPathComponent, $0.message) })
        XCTAssertTrue(messages["data_batch_1"]?.hasPrefix("byte 0: not a pickle: unknown opcode") == true, "\(messages)")
        XCTAssertEqual(messages["data_batch_2"], "not a CIFAR-10 batch: the pickle holds a list of 2, not a dict with 'data' and 'labels'")
        XCTAssertEqual(messages["data_batch_3"], "not a CIFAR-10 batch: the dict has no 'data' and 'labels' (its keys: 'a')")
        XCTAssertTrue(messages["test_batch"]?.contains("truncated pickle") == true, "\(messages)")
        XCTAssertEqual(gallery.problems.count, 4)
        for problem in gallery.problems { XCTAssertFalse(problem.description.contains("\n"), problem.description) }
    }

    func testPythonBatchesWithWrongShapeLabelCountOrLabel() throws {
        let scratch = try copyOf("cifar10-py/cifar-10-batches-py")
        // Python 2 batch 1: shape (4, 3072) -> (8, 1536); batch 2: one label dropped.
        try patch(scratch.path + "/data_batch_1", latin1("K\u{1}K\u{4}M\0\u{c}\u{86}"), latin1("K\u{1}K\u{8}M\0\u{6}\u{86}"))
        try patch(scratch.path + "/data_batch_2", latin1("(K\u{4}K\u{5}K\u{6}K\u{7}e"), latin1("(K\u{4}K\u{5}K\u{6}e"))
        try patch(scratch.path + "/data_batch_3", latin1("(K\u{8}K\u{9}K\0K\u{1}e"), latin1("(K\u{8}K\u{9}K\0K\u{b}e"))
        let gallery = try CIFAR10Gallery(spec: GallerySpec(kind: .cifar10, path: scratch.path))
        XCTAssertEqual(gallery.splitCounts(), [.train: 8, .test: 10])
        XCTAssertEqual(gallery.problems.map(\.message), [
            "'data' is a |u1 array of shape [8, 1536], expected (N, 3072) uint8",
            "3 labels for 4 images",
            "record 3 has label 11, outside the 10 classes 0...9",
        ])
        XCTAssertEqual(gallery.problems.map { URL(fileURLWithPath: $0.source).lastPathComponent }, ["data_batch_1", "data_batch_2", "data_batch_3"])
    }

    func testBadMetaFileFallsBackToTheStandardNames() throws {
        let scratch = try copyOf("cifar10-py/cifar-10-batches-py")
        try scratch.write("batches.meta", [0x80, 2, 0x4B])
        let gallery = try CIFAR10Gallery(spec: GallerySpec(kind: .cifar10, path: scratch.path))
        XCTAssertEqual(gallery.count, 30)
        XCTAssertEqual(gallery.classNames, Self.standardNames)
        XCTAssertEqual(gallery.problems.count, 1)
        XCTAssertEqual(gallery.problems.first?.source, scratch.path + "/batches.meta")
        XCTAssertTrue(gallery.problems.first?.message.hasSuffix("using the standard CIFAR-10 class names") == true)
    }

    // MARK: - Galleries that cannot open

    func testNothingToOpen() throws {
        let empty = try ScratchDirectory()
        assertOpenFails(empty.path, source: empty.path, contains: "no CIFAR-10 batches: expected data_batch_1 .. data_batch_5 and test_batch")
        assertOpenFails(empty.path + "/absent", source: empty.path + "/absent", contains: "no such folder")
        let file = try empty.write("data_batch_1.bin", [0])
        assertOpenFails(file, source: file, contains: "not a folder")

        // The only batch is unreadable: the error names it.
        let only = try ScratchDirectory()
        var random = SeededBytes(seed: 3)
        let path = try only.write("data_batch_1", random.take(300))
        try only.write("test_batch", [])
        assertOpenFails(only.path, source: path, contains: "(and 1 more unreadable batch files)")
    }

    // MARK: - Pixels are read lazily

    func testPixelsAreReadFromTheFileWhenAsked() throws {
        let scratch = try copyOf("cifar10-py3/cifar-10-batches-py")
        let path = scratch.path + "/data_batch_1"
        let gallery = try CIFAR10Gallery(spec: GallerySpec(kind: .cifar10, path: scratch.path))
        let before = try gallery.image(at: 1)

        // The data is a range of the file: change record 1's first red byte after opening.
        let array = try NumpyArray(try XCTUnwrap(try Pickle.load(file: path)["data"]), source: path)
        guard case .range(let offset, let count) = array.data else { return XCTFail("pixels were copied into the tree") }
        XCTAssertEqual(count, 4 * 3072)
        var file = try bytes(path)
        file[offset + 3072] = before[0, 0].r &+ 1
        try Data(file).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try gallery.image(at: 1)[0, 0].r, before[0, 0].r &+ 1)

        // A file cut short after opening: the read fails with a one-line error naming the record.
        try Data(file.prefix(offset + 100)).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try gallery.image(at: 2)) { error in
            XCTAssertEqual((error as? ImageError)?.source, path + " record 2")
            XCTAssertTrue((error as? ImageError)?.errorDescription?.contains("truncated") == true, "\(error)")
        }
    }

    // MARK: - Helpers

    /// A scratch copy of a fixture folder (its contents at the scratch folder's top).
    private func copyOf(_ name: String) throws -> ScratchDirectory {
        let scratch = try ScratchDirectory("hashscope-cifar")
        let source = try fixture(name)
        for file in try FileManager.default.contentsOfDirectory(atPath: source) {
            try FileManager.default.copyItem(atPath: source + "/" + file, toPath: scratch.path + "/" + file)
        }
        return scratch
    }

    private func bytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

    private func append(_ extra: [UInt8], to path: String) throws {
        try Data(try bytes(path) + extra).write(to: URL(fileURLWithPath: path))
    }

    /// Replaces the one occurrence of `old` in the file.
    private func patch(_ path: String, _ old: [UInt8], _ new: [UInt8], file: StaticString = #filePath, line: UInt = #line) throws {
        let data = try bytes(path)
        let starts = (0...(data.count - old.count)).filter { data[$0..<$0 + old.count].elementsEqual(old) }
        XCTAssertEqual(starts.count, 1, "pattern in \(path)", file: file, line: line)
        guard let start = starts.first else { return }
        try Data(Array(data[..<start]) + new + Array(data[(start + old.count)...])).write(to: URL(fileURLWithPath: path))
    }

    private func latin1(_ text: String) -> [UInt8] { text.unicodeScalars.map { UInt8($0.value) } }

    private func assertOpenFails(_ path: String, source: String, contains text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try GalleryOpener.open("cifar10:\(path)"), file: file, line: line) { error in
            guard let error = error as? GalleryError else { return XCTFail("\(error)", file: file, line: line) }
            XCTAssertEqual(error.source, source, file: file, line: line)
            XCTAssertTrue(error.message.contains(text), error.message, file: file, line: line)
        }
    }
}

/// Deterministic junk bytes.
private struct SeededBytes {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func take(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }
}
