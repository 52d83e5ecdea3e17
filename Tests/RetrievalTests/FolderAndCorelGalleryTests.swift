import Basics
import Retrieval
import TestSupport
import XCTest

final class FolderAndCorelGalleryTests: XCTestCase {
    func testSharedCIFAR10FolderHasSplitsAndClasses() throws {
        let root = try TestPaths.sharedDataset("cifar10")
        let gallery = try GalleryOpener.open("folder:\(root)")
        XCTAssertEqual(gallery.count, 60_000)
        XCTAssertEqual(gallery.classNames, ["airplane", "automobile", "bird", "cat", "deer",
                                            "dog", "frog", "horse", "ship", "truck"])
        XCTAssertEqual(gallery.classCounts(), Array(repeating: 6_000, count: 10))
        XCTAssertEqual(gallery.splitCounts(), [.train: 50_000, .test: 10_000])
        XCTAssertEqual(gallery.items[0], GalleryItem(id: "train/airplane/0000.jpg", labels: [0], split: .train))
        let firstTest = try XCTUnwrap(gallery.items.firstIndex { $0.split == .test })
        XCTAssertEqual(gallery.items[firstTest].id, "test/airplane/0000.jpg")
        let image = try gallery.image(at: firstTest)
        XCTAssertEqual([image.width, image.height], [32, 32])
        XCTAssertFalse(gallery.isMultiLabel)
        XCTAssertEqual(gallery.problems, [])
    }

    func testSharedCorelHasWangClasses() throws {
        let root = try TestPaths.sharedDataset("corel1k/images")
        let gallery = try GalleryOpener.open("corel:\(root)")
        XCTAssertEqual(gallery.count, 1_000)
        XCTAssertEqual(gallery.classNames, CorelGallery.wangClassNames)
        XCTAssertEqual(gallery.classCounts(), Array(repeating: 100, count: 10))
        // Numeric order, not name order: item 10 is 10.jpg (name order would put 100.jpg there).
        XCTAssertEqual(gallery.items[10], GalleryItem(id: "10.jpg", labels: [0], split: .none))
        XCTAssertEqual(gallery.items[599].labels, [5])  // elephants
        let inspection = GalleryInspection.inspect(gallery, decode: true)
        XCTAssertTrue(inspection.isComplete)
        XCTAssertEqual(inspection.sizes, [.init(width: 384, height: 256): 800, .init(width: 256, height: 384): 200])
    }

    func testFolderWithBadFilesStillLoadsTheRest() throws {
        let scratch = try ScratchDirectory()
        let jpeg = TestImages.jpeg()
        for i in 0..<3 { try scratch.write("cats/\(i).jpg", jpeg) }
        try scratch.write("dogs/a.jpg", jpeg)
        try scratch.write("dogs/nested/b.png", TestImages.png(width: 1, height: 1, colorType: 0, rows: [[5]]))
        let truncated = try scratch.write("dogs/truncated.jpg", Array(jpeg.prefix(jpeg.count / 2)))
        let empty = try scratch.write("dogs/empty.jpg", [])
        let noise = try scratch.write("dogs/noise.jpg", Array(repeating: 0x42, count: 100))
        try scratch.write("dogs/notes.txt", Array("not an image".utf8))
        try scratch.write("dogs/.hidden.jpg", jpeg)
        try scratch.write("stray.jpg", jpeg)  // not in a class folder: ImageFolder ignores it too

        let gallery = try GalleryOpener.open("folder:\(scratch.path)")
        XCTAssertEqual(gallery.classNames, ["cats", "dogs"])
        XCTAssertEqual(gallery.items.map(\.id), ["cats/0.jpg", "cats/1.jpg", "cats/2.jpg", "dogs/a.jpg",
                                                 "dogs/empty.jpg", "dogs/nested/b.png", "dogs/noise.jpg", "dogs/truncated.jpg"])
        XCTAssertEqual(gallery.classCounts(), [3, 5])

        let quick = GalleryInspection.inspect(gallery, decode: false)
        XCTAssertEqual(quick.unreadable.map(\.message), ["\(empty): empty file (0 bytes)"])
        XCTAssertNil(quick.sizes)

        let full = GalleryInspection.inspect(gallery, decode: true)
        XCTAssertEqual(full.unreadable.map { gallery.items[$0.index].id }, ["dogs/empty.jpg", "dogs/noise.jpg", "dogs/truncated.jpg"])
        XCTAssertTrue(full.unreadable[1].message.hasPrefix("\(noise): not a JPEG"))
        XCTAssertTrue(full.unreadable[2].message.hasPrefix("\(truncated): truncated image"), full.unreadable[2].message)
        XCTAssertEqual(full.sizes, [.init(width: 48, height: 32): 4, .init(width: 1, height: 1): 1])
        XCTAssertFalse(full.isComplete)
    }

    func testFolderSplitsUnionTheirClasses() throws {
        let scratch = try ScratchDirectory()
        let jpeg = TestImages.jpeg()
        try scratch.write("train/a/1.jpg", jpeg)
        try scratch.write("train/b/1.jpg", jpeg)
        try scratch.write("test/b/1.jpg", jpeg)
        try scratch.write("test/c/1.jpg", jpeg)
        try scratch.write("val/a/1.jpg", jpeg)
        let gallery = try GalleryOpener.open("folder:\(scratch.path)")
        XCTAssertEqual(gallery.classNames, ["a", "b", "c"])
        XCTAssertEqual(gallery.items, [
            GalleryItem(id: "train/a/1.jpg", labels: [0], split: .train),
            GalleryItem(id: "train/b/1.jpg", labels: [1], split: .train),
            GalleryItem(id: "test/b/1.jpg", labels: [1], split: .test),
            GalleryItem(id: "test/c/1.jpg", labels: [2], split: .test),
        ])
        // val/ is not read, and the user is told so rather than left to wonder.
        XCTAssertEqual(gallery.problems.map(\.source), [scratch.path + "/val"])
    }

    func testFolderThatCannotOpen() throws {
        let scratch = try ScratchDirectory()
        assertGalleryError("folder:\(scratch.path)/missing", source: scratch.path + "/missing", contains: "no such folder")
        assertGalleryError("folder:\(scratch.path)", source: scratch.path, contains: "no class folders")
        try scratch.write("a/readme.txt", [1])
        assertGalleryError("folder:\(scratch.path)", source: scratch.path, contains: "no image files")
    }

    func testCorelReportsGapsAndNamesExtraClasses() throws {
        let scratch = try ScratchDirectory()
        let jpeg = TestImages.jpeg()
        for i in [0, 1, 3, 150] { try scratch.write("\(i).jpg", jpeg) }
        try scratch.write("thumbs.db", [0])
        let gallery = try GalleryOpener.open("corel:\(scratch.path)")
        XCTAssertEqual(gallery.items.map(\.labels), [[0], [0], [0], [1]])
        XCTAssertEqual(gallery.classNames, ["africans", "beach"])
        XCTAssertEqual(gallery.problems.count, 1)
        XCTAssertTrue(gallery.problems[0].message.hasPrefix("147 numbered image(s) missing: 2.jpg, 4.jpg"), gallery.problems[0].message)
        try scratch.write("1000.jpg", jpeg)
        XCTAssertEqual(try GalleryOpener.open("corel:\(scratch.path)").classNames.last, "class10")
    }

    func testSpecErrors() {
        assertGalleryError("cifar10", source: "cifar10", contains: "expected KIND:PATH")
        assertGalleryError("imagenet:/data", source: "imagenet:/data", contains: "unknown gallery kind 'imagenet'")
        assertGalleryError("folder:", source: "folder:", contains: "needs a path")
        XCTAssertEqual(try GallerySpec(parsing: "fashion-mnist:"), GallerySpec(kind: .fashionMNIST, path: ""))
        XCTAssertEqual(try GallerySpec(parsing: "list:a:b.txt").path, "a:b.txt")
    }
}

func assertGalleryError(_ spec: String, source: String, contains text: String,
                        file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertThrowsError(try GalleryOpener.open(spec), file: file, line: line) { error in
        guard let error = error as? GalleryError else { return XCTFail("\(error)", file: file, line: line) }
        XCTAssertEqual(error.source, source, file: file, line: line)
        XCTAssertTrue(error.message.contains(text), error.message, file: file, line: line)
    }
}
