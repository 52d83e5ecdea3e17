import Basics
import TestSupport
import XCTest

final class ImageDecoderTests: XCTestCase {
    func testJPEGRoundTripKeepsSizeAndPixels() throws {
        let original = TestImages.gradient(width: 48, height: 32)
        let decoded = try ImageDecoder.decode(try JPEGEncoder.encode(original, quality: 95), source: "mem")
        XCTAssertEqual(decoded.width, 48)
        XCTAssertEqual(decoded.height, 32)
        XCTAssertLessThan(TestImages.meanAbsoluteDifference(decoded, original), 3.0)
    }

    func testRealCorelJPEGDecodesToItsSize() throws {
        let path = try TestPaths.sharedDataset("corel1k/images/0.jpg")
        let image = try ImageDecoder.decode(file: path)
        XCTAssertEqual([image.width, image.height], [256, 384])  // 0.jpg is one of the 200 portrait images
        // A photo, not a flat fill: the pixels vary.
        XCTAssertGreaterThan(Set(image.pixels).count, 100)
    }

    func testPNGColourTypesAllBecomeRGB() throws {
        // One 2x1 image in each layout; every one decodes to red then grey 128.
        let expected: [UInt8] = [255, 0, 0, 128, 128, 128]
        let rgb = TestImages.png(width: 2, height: 1, colorType: 2, rows: [[255, 0, 0, 128, 128, 128]])
        let rgba = TestImages.png(width: 2, height: 1, colorType: 6, rows: [[255, 0, 0, 255, 128, 128, 128, 7]])
        let rgb16 = TestImages.png(width: 2, height: 1, colorType: 2, bitDepth: 16,
                                   rows: [[255, 255, 0, 0, 0, 0, 128, 0, 128, 0, 128, 0]])
        let palette = TestImages.png(width: 2, height: 1, colorType: 3, rows: [[0, 1]],
                                     palette: [255, 0, 0, 128, 128, 128])
        for (name, png) in [("rgb", rgb), ("rgba", rgba), ("rgb16", rgb16), ("palette", palette)] {
            let image = try ImageDecoder.decode(png, source: name)
            XCTAssertEqual(image.pixels, expected, name)
        }
        let grey = try ImageDecoder.decode(TestImages.png(width: 2, height: 1, colorType: 0, rows: [[10, 200]]), source: "grey")
        XCTAssertEqual(grey.pixels, [10, 10, 10, 200, 200, 200])
        let greyAlpha = try ImageDecoder.decode(TestImages.png(width: 1, height: 1, colorType: 4, rows: [[77, 0]]), source: "ga")
        XCTAssertEqual(greyAlpha.pixels, [77, 77, 77])
    }

    func testPPMAndPGMWithCommentsAndSixteenBitSamples() throws {
        let p6 = Array("P6\n# made by hand\n2 1\n255\n".utf8) + [1, 2, 3, 4, 5, 6]
        XCTAssertEqual(try ImageDecoder.decode(p6, source: "p6").pixels, [1, 2, 3, 4, 5, 6])
        let p5 = Array("P5 2 1 255 ".utf8) + [9, 250]
        XCTAssertEqual(try ImageDecoder.decode(p5, source: "p5").pixels, [9, 9, 9, 250, 250, 250])
        let p5wide = Array("P5 1 1 65535\n".utf8) + [0xFF, 0xFF]
        XCTAssertEqual(try ImageDecoder.decode(p5wide, source: "p5-16").pixels, [255, 255, 255])
        let image = TestImages.gradient(width: 5, height: 4)
        XCTAssertEqual(try ImageDecoder.decode(PPMCodec.encode(image), source: "round"), image)
    }

    func testEmptyFileIsNamed() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.write("empty.jpg", [])
        assertImageError(try ImageDecoder.decode(file: path), path: path, problem: .empty)
    }

    func testTruncatedJPEGIsRefusedAtAnyCut() throws {
        // Cuts inside the scan, inside the headers and right after the signature.
        let jpeg = TestImages.jpeg(width: 64, height: 64)
        for cut in [jpeg.count / 2, jpeg.count - 10, 300, 30, 4] {
            XCTAssertThrowsError(try ImageDecoder.decode(Array(jpeg.prefix(cut)), source: "cut.jpg"), "cut at \(cut)") { error in
                guard let error = error as? ImageError, case .truncated = error.problem else {
                    return XCTFail("cut at \(cut): \(error)")
                }
                XCTAssertTrue(error.localizedDescription.hasPrefix("cut.jpg: truncated image: premature end of JPEG data"))
            }
        }
    }

    func testRandomBytesNamedJPEGAreAnUnknownFormat() throws {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<4096).map { _ in UInt8.random(in: 1...0xFE, using: &generator) }
        let scratch = try ScratchDirectory()
        let path = try scratch.write("noise.jpg", bytes)
        XCTAssertThrowsError(try ImageDecoder.decode(file: path)) { error in
            guard let error = error as? ImageError, case .unknownFormat = error.problem else { return XCTFail("\(error)") }
            XCTAssertTrue(error.localizedDescription.hasPrefix(path + ": not a JPEG, PNG or PPM image"))
        }
    }

    func testJPEGWithBodyOfNoiseIsCorruptOrTruncated() throws {
        let jpeg = TestImages.jpeg(width: 64, height: 64)
        var damaged = jpeg
        for i in 200..<damaged.count - 2 { damaged[i] = UInt8(truncatingIfNeeded: i &* 2654435761 >> 7) }
        XCTAssertThrowsError(try ImageDecoder.decode(damaged, source: "noise-body.jpg"))
    }

    func testHugeDeclaredSizesAreRefusedBeforeAllocation() throws {
        let png = TestImages.png(width: 100_000, height: 100_000, colorType: 2, rows: [[0, 0, 0]])
        assertImageError(try ImageDecoder.decode(png, source: "huge.png"), path: "huge.png",
                         problem: .tooLarge(width: 100_000, height: 100_000))
        let ppm = Array("P6\n100000 100000\n255\n".utf8) + [0, 0, 0]
        assertImageError(try ImageDecoder.decode(ppm, source: "huge.ppm"), path: "huge.ppm",
                         problem: .tooLarge(width: 100_000, height: 100_000))
        // JPEG sizes are 16-bit; 65000x65000 is still far over 2^28 pixels.
        let jpeg = TestImages.jpegWithDeclaredSize(TestImages.jpeg(), width: 65000, height: 65000)
        XCTAssertThrowsError(try ImageDecoder.decode(jpeg, source: "huge.jpg")) { error in
            guard let error = error as? ImageError else { return XCTFail("\(error)") }
            switch error.problem {
            case .tooLarge(65000, 65000): break
            case .corrupt(let message): XCTAssertTrue(message.contains("65500") || message.contains("large"), message)
            default: XCTFail("\(error.problem)")
            }
        }
    }

    func testTruncatedAndCorruptPNGAndPPM() throws {
        let png = TestImages.png(width: 8, height: 8, colorType: 2, rows: Array(repeating: Array(repeating: 9, count: 24), count: 8))
        XCTAssertThrowsError(try ImageDecoder.decode(Array(png.prefix(png.count - 30)), source: "cut.png")) { error in
            XCTAssertTrue((error as? ImageError)?.localizedDescription.hasPrefix("cut.png: ") ?? false, "\(error)")
        }
        var badCRC = png
        badCRC[29] ^= 0xFF  // inside IHDR's CRC
        XCTAssertThrowsError(try ImageDecoder.decode(badCRC, source: "crc.png"))
        let ppm = Array("P6\n4 4\n255\n".utf8) + [1, 2, 3]
        XCTAssertThrowsError(try ImageDecoder.decode(ppm, source: "cut.ppm")) { error in
            guard case .truncated = (error as? ImageError)?.problem else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try ImageDecoder.decode(Array("P6\n4".utf8), source: "header.ppm"))
        XCTAssertThrowsError(try ImageDecoder.decode(Array("P6\n4 4 0\n".utf8), source: "maxval.ppm"))
    }

    func testMissingFileAndFolderAreUnreadable() throws {
        let scratch = try ScratchDirectory()
        let missing = scratch.path + "/nope.jpg"
        XCTAssertThrowsError(try ImageDecoder.decode(file: missing)) { error in
            guard let error = error as? ImageError, case .unreadable(let reason) = error.problem else { return XCTFail("\(error)") }
            XCTAssertEqual(reason, "No such file or directory")
            XCTAssertEqual(error.source, missing)
        }
        XCTAssertThrowsError(try ImageDecoder.decode(file: scratch.path))
    }

    private func assertImageError(_ expression: @autoclosure () throws -> RGBImage, path: String,
                                  problem: ImageError.Problem, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try expression(), file: file, line: line) { error in
            XCTAssertEqual(error as? ImageError, ImageError(source: path, problem: problem), file: file, line: line)
        }
    }
}
