import Foundation
import TestSupport
import XCTest

final class DataInfoCommandTests: XCTestCase {
    func testHelpListsTheSpecKindsAndExitCodes() throws {
        let result = try CommandRunner.run(["data", "info", "--help"])
        XCTAssertEqual(result.status, 0)
        for text in ["folder:DIR", "corel:DIR", "cifar10:DIR", "fashion-mnist:DIR", "list:FILE", "--check", "--json", "Exit status"] {
            XCTAssertTrue(result.stdout.contains(text), "help lacks \(text)")
        }
        XCTAssertEqual(try CommandRunner.run(["--help"]).status, 0)
    }

    func testFolderWithOneTruncatedJPEGExitsOneNamingIt() throws {
        let scratch = try ScratchDirectory()
        let jpeg = TestImages.jpeg()
        for i in 0..<4 { try scratch.write("good/\(i).jpg", jpeg) }
        let truncated = try scratch.write("good/broken.jpg", Array(jpeg.prefix(jpeg.count / 2)))

        let result = try CommandRunner.run(["data", "info", "--json", "--check", "folder:\(scratch.path)"])
        XCTAssertEqual(result.status, 1)
        let lines = result.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, result.stderr)
        XCTAssertTrue(lines[0].hasPrefix("hashscope: \(truncated): truncated image"), result.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["count"] as? Int, 5)
        XCTAssertEqual(json["unreadable"] as? Int, 1)
        XCTAssertEqual(json["splits"] as? [String: Int], ["none": 5])
        let classes = try XCTUnwrap(json["classes"] as? [[String: Any]])
        XCTAssertEqual(classes.map { $0["name"] as? String }, ["good"])
        XCTAssertEqual(classes.map { $0["count"] as? Int }, [5])

        // Without --check nothing is decoded, so the truncated file is not noticed: exit 0.
        let quick = try CommandRunner.run(["data", "info", "folder:\(scratch.path)"])
        XCTAssertEqual(quick.status, 0, quick.stderr)
        XCTAssertTrue(quick.stdout.contains("image size  not read (--check decodes every image)"), quick.stdout)
    }

    func testTableListsFortyClassesAndCountsTheRest() throws {
        let scratch = try ScratchDirectory()
        let png = TestImages.png(width: 1, height: 1, colorType: 0, rows: [[9]])
        for c in 0..<45 { try scratch.write(String(format: "class%02d/a.png", c), png) }
        let table = try CommandRunner.run(["data", "info", "folder:\(scratch.path)"])
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout.contains("  class39  1"), table.stdout)
        XCTAssertFalse(table.stdout.contains("class40"), table.stdout)
        XCTAssertTrue(table.stdout.contains("  ... 5 more classes (--json lists every one)"), table.stdout)
        let json = try CommandRunner.run(["data", "info", "--json", "folder:\(scratch.path)"])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        XCTAssertEqual((object["classes"] as? [[String: Any]])?.count, 45)
    }

    func testBadSpecAndMissingGalleryExitTwoWithOneLine() throws {
        for (arguments, expected) in [
            (["data", "info", "nonsense"], "nonsense: not a gallery spec"),
            (["data", "info", "imagenet:/x"], "unknown gallery kind 'imagenet'"),
            (["data", "info", "corel:/no/such/dir"], "/no/such/dir: no such folder"),
        ] {
            let result = try CommandRunner.run(arguments)
            XCTAssertEqual(result.status, 2, arguments.joined(separator: " "))
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains(expected), result.stderr)
            XCTAssertEqual(result.stdout, "")
        }
        // Usage errors (a missing argument, an unknown flag) are exit 2 as well, not ArgumentParser's 64.
        XCTAssertEqual(try CommandRunner.run(["data", "info"]).status, 2)
        XCTAssertEqual(try CommandRunner.run(["data", "info", "--bogus", "corel:x"]).status, 2)
    }

    func testSharedCIFAR10FolderChecksClean() throws {
        let root = try TestPaths.sharedDataset("cifar10")
        let result = try CommandRunner.run(["data", "info", "--json", "--check", "folder:\(root)"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["count"] as? Int, 60_000)
        XCTAssertEqual(json["unreadable"] as? Int, 0)
        XCTAssertEqual(json["splits"] as? [String: Int], ["train": 50_000, "test": 10_000])
        let classes = try XCTUnwrap(json["classes"] as? [[String: Any]])
        XCTAssertEqual(classes.map { $0["count"] as? Int }, Array(repeating: 6_000, count: 10))
        let sizes = try XCTUnwrap(json["image_sizes"] as? [String: Any])
        XCTAssertEqual(sizes["max_width"] as? Int, 32)
        XCTAssertEqual(sizes["min_height"] as? Int, 32)
    }

    func testCorelTableShowsWangNames() throws {
        let root = try TestPaths.sharedDataset("corel1k/images")
        let result = try CommandRunner.run(["data", "info", "corel:\(root)"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("items       1000"))
        for name in ["africans", "beach", "buildings", "buses", "dinosaurs", "elephants", "flowers", "horses", "mountains", "food"] {
            XCTAssertTrue(result.stdout.contains("  \(name)"), name)
        }
    }

    func testPackWritesInterleavedClassesThatCIFAR10Opens() throws {
        let scratch = try ScratchDirectory()
        let gallery = try TinyGallery.make(in: scratch)
        let out = scratch.path + "/packed"
        let pack = try CommandRunner.run(["data", "pack", gallery, "--split", "train", "--per-class", "2", "--out", out])
        XCTAssertEqual(pack.status, 0, pack.stderr)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: out + "/test_batch.bin")))
        XCTAssertEqual(bytes.count, 20 * 3073)
        XCTAssertEqual((0..<20).map { bytes[$0 * 3073] }, (0..<20).map { UInt8($0 % 10) }, "classes interleaved")
        let info = try CommandRunner.run(["data", "info", "cifar10:" + out, "--json", "--check"])
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stdout.contains("\"count\" : 20,"), info.stdout)
        // The tiny gallery's class names are not CIFAR-10's: they go to batches.meta.txt.
        XCTAssertEqual(try String(contentsOfFile: out + "/batches.meta.txt", encoding: .utf8).split(separator: "\n").first, "class0")
        let bad = try CommandRunner.run(["data", "pack", gallery, "--split", "nope", "--per-class", "2", "--out", out])
        XCTAssertEqual(bad.status, 2)
    }
}
