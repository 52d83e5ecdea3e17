import Basics
import Retrieval
import TestSupport
import XCTest

final class FashionMNISTAndListGalleryTests: XCTestCase {
    func testDebianFashionMNISTHas70000ItemsInTenClasses() throws {
        let directory = try TestPaths.debianFashionMNIST()
        for spec in ["fashion-mnist:", "fashion-mnist:\(directory)"] {
            let gallery = try GalleryOpener.open(spec)
            XCTAssertEqual(gallery.count, 70_000)
            XCTAssertEqual(gallery.classCounts(), Array(repeating: 7_000, count: 10))
            XCTAssertEqual(gallery.splitCounts(), [.train: 60_000, .test: 10_000])
            XCTAssertEqual(gallery.classNames.last, "Ankle boot")
            XCTAssertTrue(gallery.fixedImageSize! == (28, 28))
        }
        let gallery = try GalleryOpener.open("fashion-mnist:")
        // The first training image of Fashion-MNIST is an ankle boot (label 9).
        XCTAssertEqual(gallery.items[0], GalleryItem(id: "train/0", labels: [9], split: .train))
        let image = try gallery.image(at: 0)
        XCTAssertEqual([image.width, image.height], [28, 28])
        XCTAssertEqual(image[0, 0].r, 0)  // black background
        XCTAssertGreaterThan(image.pixels.max()!, 200)
    }

    func testPlainIDXFilesAndBadInput() throws {
        let scratch = try ScratchDirectory()
        // 3 training images of 2x2, labels 0, 9, 12 (12 is no class: that item is left out).
        let images: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2] + Array(1...12)
        try scratch.write("train-images-idx3-ubyte", images)
        try scratch.write("train-labels-idx1-ubyte", [0, 0, 8, 1, 0, 0, 0, 3, 0, 9, 12])
        let gallery = try GalleryOpener.open("fashion-mnist:\(scratch.path)")
        XCTAssertEqual(gallery.items.map(\.labels), [[0], [9]])
        XCTAssertEqual(try gallery.image(at: 1).pixels, [5, 5, 5, 6, 6, 6, 7, 7, 7, 8, 8, 8])
        XCTAssertEqual(gallery.problems.count, 1)
        XCTAssertTrue(gallery.problems[0].message.contains("label 12 of item 2"), gallery.problems[0].message)

        // The test split's image file has a wrong magic: reported, the train split still loads.
        try scratch.write("t10k-images-idx3-ubyte", [0x1F, 0x8C, 8, 3] + images[4...])
        try scratch.write("t10k-labels-idx1-ubyte", [0, 0, 8, 1, 0, 0, 0, 3, 0, 1, 2])
        let withBadTest = try GalleryOpener.open("fashion-mnist:\(scratch.path)")
        XCTAssertEqual(withBadTest.count, 2)
        XCTAssertTrue(withBadTest.problems.contains {
            $0.source == scratch.path + "/t10k-images-idx3-ubyte" && $0.message.hasPrefix("not an IDX file: bad magic 1f8c0803")
        }, "\(withBadTest.problems)")

        // Pixel data shorter than the header says: each image read fails, naming the file.
        try scratch.write("train-images-idx3-ubyte", Array(images.prefix(20)))
        let short = try GalleryOpener.open("fashion-mnist:\(scratch.path)")
        XCTAssertThrowsError(try short.image(at: 0)) { error in
            XCTAssertEqual((error as? GalleryError)?.source, scratch.path + "/train-images-idx3-ubyte")
            XCTAssertTrue((error as? GalleryError)?.message.hasPrefix("truncated") ?? false, "\(error)")
        }
        let inspection = GalleryInspection.inspect(short, decode: true)
        XCTAssertEqual(inspection.unreadable.count, 2)
    }

    func testFashionMNISTThatCannotOpen() throws {
        let scratch = try ScratchDirectory()
        assertGalleryError("fashion-mnist:\(scratch.path)", source: scratch.path, contains: "no Fashion-MNIST IDX files")
        try scratch.write("train-images-idx3-ubyte", [0, 0, 8, 3, 0, 0])
        try scratch.write("train-labels-idx1-ubyte", [0, 0, 8, 1, 0, 0, 0, 0])
        assertGalleryError("fashion-mnist:\(scratch.path)", source: scratch.path + "/train-images-idx3-ubyte", contains: "truncated")
    }

    func testListFileWithMultiHotLabelsMissingImagesAndBadLines() throws {
        let scratch = try ScratchDirectory()
        let ppm = PPMCodec.encode(TestImages.gradient(width: 4, height: 3))
        try scratch.write("images/a.ppm", ppm)
        try scratch.write("images/b.ppm", ppm)
        let list = try scratch.write("lists/test.txt", Array("""
            ../images/a.ppm 1 0 0
            ../images/b.ppm 0 1 1\r
            ../images/gone.ppm 0 0 1

            ../images/a.ppm 1 0
            ../images/b.ppm 1 x 0
            \(scratch.path)/images/b.ppm 0 0 0
            """.utf8))
        let gallery = try GalleryOpener.open("list:\(list)")
        XCTAssertEqual(gallery.items, [
            GalleryItem(id: "../images/a.ppm", labels: [0], split: .test),
            GalleryItem(id: "../images/b.ppm", labels: [1, 2], split: .test),
            GalleryItem(id: "../images/gone.ppm", labels: [2], split: .test),
            GalleryItem(id: "\(scratch.path)/images/b.ppm", labels: [], split: .test),
        ])
        XCTAssertTrue(gallery.isMultiLabel)
        XCTAssertEqual(gallery.classNames, ["label0", "label1", "label2"])
        XCTAssertEqual(gallery.classCounts(), [1, 1, 2])
        XCTAssertEqual(gallery.problems.map(\.source), ["\(list):5", "\(list):6"])
        XCTAssertEqual(gallery.problems.map(\.message), ["2 label columns, earlier lines have 3", "label 'x' is not 0 or 1"])

        let quick = GalleryInspection.inspect(gallery, decode: false)
        XCTAssertEqual(quick.unreadable.map(\.index), [2])
        XCTAssertTrue(quick.unreadable[0].message.hasSuffix("gone.ppm: cannot read file: No such file or directory"), quick.unreadable[0].message)
        XCTAssertEqual(try gallery.image(at: 3).width, 4)  // absolute paths are taken as they are
    }

    func testListFileSplitFromNameAndErrors() throws {
        let scratch = try ScratchDirectory()
        let train = try scratch.write("train.txt", Array("x.jpg 0 1\n".utf8))
        XCTAssertEqual(try GalleryOpener.open("list:\(train)").items.first?.split, .train)
        XCTAssertFalse(try GalleryOpener.open("list:\(train)").isMultiLabel)
        let database = try scratch.write("database.txt", Array("x.jpg 0 1\n".utf8))
        XCTAssertEqual(try GalleryOpener.open("list:\(database)").items.first?.split, Split.none)
        let empty = try scratch.write("empty.txt", [])
        assertGalleryError("list:\(empty)", source: empty, contains: "no usable lines")
        assertGalleryError("list:\(scratch.path)/missing.txt", source: "\(scratch.path)/missing.txt", contains: "No such file")
        let binary = try scratch.write("binary.txt", [0xFF, 0xFE, 0x00, 0x81])
        assertGalleryError("list:\(binary)", source: binary, contains: "invalid UTF-8")
    }
}

/// The committed fixtures (scripts/make-fixtures.py): the first 12 train and 8 test images
/// of Fashion-MNIST as gzip and plain IDX, and a DeepHash-pytorch list file of 6 images.
final class CommittedFormatFixtureTests: XCTestCase {
    private var fixtures: String { Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.path }

    func testIDXFixturesGzipAndPlainAgreeAndMatchTheRealFiles() throws {
        let gz = try GalleryOpener.open("fashion-mnist:\(fixtures)/fashion-mnist/gz")
        let plain = try GalleryOpener.open("fashion-mnist:\(fixtures)/fashion-mnist/plain")
        XCTAssertEqual(gz.splitCounts(), [.train: 12, .test: 8])
        XCTAssertEqual(gz.items, plain.items)
        for i in 0..<gz.count { XCTAssertEqual(try gz.image(at: i), try plain.image(at: i)) }
        XCTAssertEqual(gz.items[0].labels, [9])  // the first training image is an ankle boot

        let real = try GalleryOpener.open("fashion-mnist:\(try TestPaths.debianFashionMNIST())")
        for i in [0, 5, 11] { XCTAssertEqual(try gz.image(at: i), try real.image(at: i)) }
        let firstRealTest = try XCTUnwrap(real.items.firstIndex { $0.split == .test })
        XCTAssertEqual(try gz.image(at: 12), try real.image(at: firstRealTest))
        XCTAssertEqual(gz.items[12].labels, real.items[firstRealTest].labels)
    }

    func testListFixtureOpensWithMultiHotLabels() throws {
        let gallery = try GalleryOpener.open("list:\(fixtures)/list/test.txt")
        XCTAssertEqual(gallery.count, 6)
        XCTAssertTrue(gallery.isMultiLabel)
        XCTAssertEqual(gallery.items[0], GalleryItem(id: "images/airplane.ppm", labels: [0, 4], split: .test))
        XCTAssertEqual(gallery.classCounts(), [1, 1, 1, 1, 4])
        let inspection = GalleryInspection.inspect(gallery, decode: true)
        XCTAssertTrue(inspection.isComplete)
        XCTAssertEqual(inspection.sizes, [.init(width: 32, height: 32): 6])
    }
}
