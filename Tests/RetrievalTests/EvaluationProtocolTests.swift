import Foundation
import Basics
import Retrieval
import TestSupport
import XCTest

/// The evaluation protocols of docs/ARCHITECTURE.md: sizes, class balance, disjointness, seeded
/// determinism and refusals, on the shared real data (skipped when absent), the committed
/// fixtures and Debian's Fashion-MNIST.
final class EvaluationProtocolTests: XCTestCase {
    /// The shared CIFAR-10 JPEG folder is 60,000 files: open it once for the whole class.
    nonisolated(unsafe) private static var cifarFolder: (any Gallery)?

    private func sharedCIFAR10() throws -> any Gallery {
        if let gallery = Self.cifarFolder { return gallery }
        let gallery = try GalleryOpener.open("folder:" + (try TestPaths.sharedDataset("cifar10")))
        Self.cifarFolder = gallery
        return gallery
    }

    private func fixture(_ name: String) throws -> String {
        let root = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil), "no Fixtures in the test bundle")
        return root.appendingPathComponent(name).path
    }

    /// Items per class among `indices`.
    private func classCounts(_ gallery: any Gallery, _ indices: [Int]) -> [Int] {
        var counts = [Int](repeating: 0, count: gallery.classNames.count)
        for index in indices { counts[gallery.items[index].labels[0]] += 1 }
        return counts
    }

    private func splits(_ gallery: any Gallery, _ indices: [Int]) -> Set<Split> {
        Set(indices.map { gallery.items[$0].split })
    }

    /// Ascending, no duplicates, in range: what every list of a split must be.
    private func assertWellFormed(_ split: ProtocolSplit, count: Int, file: StaticString = #filePath, line: UInt = #line) {
        for (name, list) in [("train", split.train), ("query", split.query), ("database", split.database)] {
            XCTAssertEqual(list, Array(Set(list)).sorted(), "\(split.name) \(name) not ascending and unique", file: file, line: line)
            XCTAssertTrue(list.allSatisfy { $0 >= 0 && $0 < count }, "\(split.name) \(name) out of range", file: file, line: line)
        }
    }

    private func assertRefused(_ evaluationProtocol: EvaluationProtocol, _ gallery: any Gallery, _ message: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try evaluationProtocol.split(gallery), file: file, line: line) { error in
            XCTAssertTrue(error is EvaluationProtocolError, "\(error)", file: file, line: line)
            XCTAssertEqual(error.localizedDescription, message, file: file, line: line)
        }
    }

    // MARK: - names

    func testMonitorSampleIsASeededFixedSubsetOfQueriesAndDatabase() {
        let split = ProtocolSplit(name: "p", seed: nil, train: Array(0..<50), query: Array(50..<70), database: Array(70..<170),
                                  topK: nil, extraCutoffs: [5])
        let sample = split.monitorSample(queries: 5, seed: 3)
        XCTAssertEqual(sample, split.monitorSample(queries: 5, seed: 3), "the same seed, the same sample")
        XCTAssertNotEqual(sample.query, split.monitorSample(queries: 5, seed: 4).query)
        XCTAssertEqual(sample.query.count, 5)
        XCTAssertEqual(sample.database.count, 50)
        XCTAssertTrue(Set(sample.query).isSubset(of: split.query) && Set(sample.database).isSubset(of: split.database))
        XCTAssertEqual(sample.query, sample.query.sorted())
        XCTAssertEqual(sample.train, [])
        XCTAssertEqual(sample.extraCutoffs, [5])
        let capped = split.monitorSample(queries: 100, seed: 3)
        XCTAssertEqual(capped.query, split.query)
        XCTAssertEqual(capped.database, split.database)
        let topK = ProtocolSplit(name: "m", seed: nil, train: [], query: [0, 1], database: Array(2..<12), topK: 5000, extraCutoffs: [])
        XCTAssertEqual(topK.monitorSample(queries: 1, seed: 0).topK, 10, "mAP@k with k capped at the sample's database")
    }

    func testParsingKnownAndUnknownNames() throws {
        XCTAssertEqual(EvaluationProtocol.allCases.map(\.name), ["cifar10-full", "cifar10-1000", "corel1k", "fashion-mnist-full"])
        for evaluationProtocol in EvaluationProtocol.allCases {
            XCTAssertEqual(try EvaluationProtocol(parsing: evaluationProtocol.name), evaluationProtocol)
        }
        XCTAssertThrowsError(try EvaluationProtocol(parsing: "cifar10")) { error in
            XCTAssertEqual(error as? EvaluationProtocolError, .unknownName("cifar10"))
            XCTAssertEqual(error.localizedDescription,
                           "unknown protocol 'cifar10': expected one of cifar10-full, cifar10-1000, corel1k, fashion-mnist-full")
        }
    }

    // MARK: - cifar10-full

    func testCIFAR10FullOnTheSharedJPEGs() throws {
        let gallery = try sharedCIFAR10()
        let split = try EvaluationProtocol.cifar10Full.split(gallery)
        XCTAssertEqual(split.name, "cifar10-full")
        XCTAssertEqual([split.query.count, split.train.count, split.database.count], [10_000, 50_000, 50_000])
        XCTAssertEqual(classCounts(gallery, split.query), Array(repeating: 1_000, count: 10))
        XCTAssertEqual(classCounts(gallery, split.train), Array(repeating: 5_000, count: 10))
        XCTAssertEqual(splits(gallery, split.query), [.test])
        XCTAssertEqual(splits(gallery, split.train), [.train])
        XCTAssertEqual(split.database, split.train)
        XCTAssertNil(split.topK)  // mAP@all
        XCTAssertEqual(split.effectiveTopK, 50_000)
        XCTAssertEqual(split.extraCutoffs, [])
        XCTAssertNil(split.seed)  // nothing drawn: every seed gives the same split
        XCTAssertEqual(try EvaluationProtocol.cifar10Full.split(gallery, seed: 9), split)
        assertWellFormed(split, count: gallery.count)
    }

    func testCIFAR10FullOnTheCommittedBatchesInBothFormats() throws {
        for name in ["cifar10-bin", "cifar10-py", "cifar10-py3"] {
            let gallery = try GalleryOpener.open("cifar10:" + (try fixture(name)))
            let split = try EvaluationProtocol.cifar10Full.split(gallery)
            // 20 train records then 10 test records, in batch order.
            XCTAssertEqual(split.train, Array(0..<20), name)
            XCTAssertEqual(split.query, Array(20..<30), name)
            XCTAssertEqual(split.database, split.train, name)
            XCTAssertEqual(classCounts(gallery, split.query).reduce(0, +), 10, name)
        }
    }

    // MARK: - cifar10-1000

    func testCIFAR10ThousandOnTheSharedJPEGs() throws {
        let gallery = try sharedCIFAR10()
        let split = try EvaluationProtocol.cifar10Thousand.split(gallery, seed: 1)
        XCTAssertEqual([split.query.count, split.train.count, split.database.count], [1_000, 5_000, 59_000])
        XCTAssertEqual(classCounts(gallery, split.query), Array(repeating: 100, count: 10))
        XCTAssertEqual(classCounts(gallery, split.train), Array(repeating: 500, count: 10))
        XCTAssertEqual(splits(gallery, split.query), [.test])
        XCTAssertEqual(splits(gallery, split.train), [.train])
        assertWellFormed(split, count: gallery.count)

        // Queries never in the database; the database is everything else and holds the training set.
        let query = Set(split.query), database = Set(split.database)
        XCTAssertTrue(query.isDisjoint(with: database))
        XCTAssertEqual(query.count + database.count, gallery.count)
        XCTAssertTrue(Set(split.train).isSubset(of: database))
        XCTAssertEqual(split.seed, 1)
        XCTAssertNil(split.topK)

        // Determinism per seed; another seed draws other items.
        XCTAssertEqual(try EvaluationProtocol.cifar10Thousand.split(gallery, seed: 1), split)
        let other = try EvaluationProtocol.cifar10Thousand.split(gallery, seed: 2)
        XCTAssertNotEqual(other.query, split.query)
        XCTAssertNotEqual(other.train, split.train)
        XCTAssertLessThan(Set(other.query).intersection(query).count, 300)  // ~100 expected by chance
    }

    func testCIFAR10ThousandRefusesTheSmallFixtures() throws {
        let path = try fixture("cifar10-bin")
        let gallery = try GalleryOpener.open("cifar10:" + path)
        let counts = classCounts(gallery, gallery.items.indices.filter { gallery.items[$0].split == .test })
        let smallest = counts.indices.min { counts[$0] < counts[$1] }!
        assertRefused(.cifar10Thousand, gallery,
                      "cifar10-1000 needs 100 test-split items in every class; \(gallery.spec) has \(counts[smallest]) in class '\(gallery.classNames[smallest])'")
    }

    // MARK: - corel1k

    func testCorel1kOnTheSharedImages() throws {
        let gallery = try GalleryOpener.open("corel:" + (try TestPaths.sharedDataset("corel1k/images")))
        let split = try EvaluationProtocol.corel1k.split(gallery, seed: 3)
        XCTAssertEqual([split.query.count, split.train.count, split.database.count], [100, 900, 900])
        XCTAssertEqual(classCounts(gallery, split.query), Array(repeating: 10, count: 10))
        XCTAssertEqual(classCounts(gallery, split.database), Array(repeating: 90, count: 10))
        XCTAssertEqual(split.train, split.database)
        XCTAssertTrue(Set(split.query).isDisjoint(with: split.database))
        XCTAssertEqual(split.extraCutoffs, [5, 10, 20, 30])
        XCTAssertEqual(split.cutoffs, [5, 10, 20, 30, 100, 1000])
        XCTAssertNil(split.topK)
        assertWellFormed(split, count: gallery.count)

        XCTAssertEqual(try EvaluationProtocol.corel1k.split(gallery, seed: 3), split)
        XCTAssertNotEqual(try EvaluationProtocol.corel1k.split(gallery, seed: 4).query, split.query)
    }

    /// A folder of 10 classes x `perClass` empty .jpg files (listing never decodes them).
    private func tinyFolder(_ scratch: ScratchDirectory, perClass: [Int]) throws -> any Gallery {
        for (c, count) in perClass.enumerated() {
            for i in 0..<count { try scratch.write("class\(c)/\(i).jpg", [0]) }
        }
        return try GalleryOpener.open("folder:\(scratch.path)")
    }

    func testCorel1kOnTheSmallestGalleryItFits() throws {
        let scratch = try ScratchDirectory()
        let gallery = try tinyFolder(scratch, perClass: Array(repeating: 11, count: 10))
        let split = try EvaluationProtocol.corel1k.split(gallery, seed: 0)
        XCTAssertEqual(classCounts(gallery, split.query), Array(repeating: 10, count: 10))
        XCTAssertEqual(classCounts(gallery, split.database), Array(repeating: 1, count: 10))
        XCTAssertEqual(Set(split.query).union(split.database), Set(0..<110))
    }

    func testCorel1kRefusals() throws {
        let scratch = try ScratchDirectory()
        let short = try tinyFolder(scratch, perClass: [11, 11, 11, 10, 11, 11, 11, 11, 11, 11])
        assertRefused(.corel1k, short,
                      "corel1k needs 11 items (10 queries and at least 1 to find) in every class; \(short.spec) has 10 in class 'class3'")

        let cifar = try GalleryOpener.open("cifar10:" + (try fixture("cifar10-bin")))
        assertRefused(.corel1k, cifar,
                      "corel1k needs a gallery without train/test splits (it draws its own queries); \(cifar.spec) has them")

        let scratch2 = try ScratchDirectory()
        let nine = try tinyFolder(scratch2, perClass: Array(repeating: 20, count: 9))
        assertRefused(.corel1k, nine, "corel1k needs a gallery of 10 classes; \(nine.spec) has 9")
    }

    // MARK: - refusals of the split protocols

    func testFullProtocolsRefuseGalleriesWithoutSplits() throws {
        let scratch = try ScratchDirectory()
        let folder = try tinyFolder(scratch, perClass: Array(repeating: 11, count: 10))
        assertRefused(.cifar10Full, folder, "cifar10-full needs a gallery with train and test splits; \(folder.spec) has none")
        assertRefused(.fashionMNISTFull, folder, "fashion-mnist-full needs a gallery with train and test splits; \(folder.spec) has none")
        assertRefused(.cifar10Thousand, folder, "cifar10-1000 needs a gallery with train and test splits; \(folder.spec) has none")

        if let corelRoot = try? TestPaths.sharedDataset("corel1k/images") {
            let corel = try GalleryOpener.open("corel:" + corelRoot)
            assertRefused(.cifar10Full, corel, "cifar10-full needs a gallery with train and test splits; corel:\(corelRoot) has none")
        }

        // A list file named test.txt is a test split only (and has 5 classes).
        let list = try GalleryOpener.open("list:" + (try fixture("list/test.txt")))
        assertRefused(.cifar10Full, list, "cifar10-full needs a gallery of 10 classes; \(list.spec) has 5")
    }

    func testMissingSplitIsNamed() throws {
        // The CIFAR binary fixtures without their test batch: a train split only.
        let scratch = try ScratchDirectory()
        let source = try fixture("cifar10-bin/cifar-10-batches-bin")
        for name in try FileManager.default.contentsOfDirectory(atPath: source) where name != "test_batch.bin" {
            try FileManager.default.copyItem(atPath: source + "/" + name, toPath: scratch.path + "/" + name)
        }
        let gallery = try GalleryOpener.open("cifar10:\(scratch.path)")
        assertRefused(.cifar10Full, gallery, "cifar10-full needs a gallery with train and test splits; \(gallery.spec) has no test split")
    }

    // MARK: - fashion-mnist-full

    func testFashionMNISTFullOnDebiansFiles() throws {
        let gallery = try GalleryOpener.open("fashion-mnist:" + (try TestPaths.debianFashionMNIST()))
        let split = try EvaluationProtocol.fashionMNISTFull.split(gallery)
        XCTAssertEqual([split.query.count, split.train.count, split.database.count], [10_000, 60_000, 60_000])
        XCTAssertEqual(classCounts(gallery, split.query), Array(repeating: 1_000, count: 10))
        XCTAssertEqual(classCounts(gallery, split.train), Array(repeating: 6_000, count: 10))
        XCTAssertEqual(splits(gallery, split.query), [.test])
        XCTAssertEqual(split.database, split.train)
        assertWellFormed(split, count: gallery.count)
    }

    func testFashionMNISTFullOnTheCommittedFixtures() throws {
        for name in ["fashion-mnist/gz", "fashion-mnist/plain"] {
            let gallery = try GalleryOpener.open("fashion-mnist:" + (try fixture(name)))
            let split = try EvaluationProtocol.fashionMNISTFull.split(gallery)
            let counts = gallery.splitCounts()
            XCTAssertEqual(split.query.count, counts[.test], name)
            XCTAssertEqual(split.train.count, counts[.train], name)
            XCTAssertEqual(splits(gallery, split.query), [.test], name)
            XCTAssertEqual(split.database, split.train, name)
        }
    }
}
