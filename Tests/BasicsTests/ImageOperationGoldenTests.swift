import Foundation
import Basics
import TestSupport
import XCTest

/// Each image operation against numpy goldens (scripts/reference_image_ops.py, which states the
/// pixel-centre and rounding conventions). Within 1 level per channel: the references compute in
/// float64, the Swift code partly in Float.
final class ImageOperationGoldenTests: XCTestCase {
    private struct Fixture: Decodable {
        struct Image: Decodable {
            let width: Int
            let height: Int
            let pixels: [UInt8]
            var rgb: RGBImage { RGBImage(width: width, height: height, pixels: pixels) }
        }
        struct Case: Decodable {
            let name: String
            let input: String
            let op: String
            let expected: Image
            let width: Int?
            let height: Int?
            let x: Int?
            let y: Int?
            let degrees: Double?
            let fill: String?
            let fraction: Double?
            let factor: Double?
            let spec: String?
        }
        let inputs: [String: Image]
        let cases: [Case]
    }

    private func loadFixture() throws -> Fixture {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/image_ops", withExtension: "json"),
                                "no Fixtures/image_ops.json in the test bundle")
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    private func run(_ testCase: Fixture.Case, on image: RGBImage) throws -> RGBImage {
        switch testCase.op {
        case "resize":
            return image.resized(width: try XCTUnwrap(testCase.width), height: try XCTUnwrap(testCase.height))
        case "rotate":
            let fill = try XCTUnwrap(RotationFill(rawValue: try XCTUnwrap(testCase.fill)))
            return image.rotated(degrees: try XCTUnwrap(testCase.degrees), fill: fill)
        case "crop":
            return image.croppedCentre(fraction: try XCTUnwrap(testCase.fraction))
        case "cropBox":
            let box = PixelRect(x: try XCTUnwrap(testCase.x), y: try XCTUnwrap(testCase.y),
                                width: try XCTUnwrap(testCase.width), height: try XCTUnwrap(testCase.height))
            return try image.cropped(to: box)
        case "brightness":
            return image.brightness(try XCTUnwrap(testCase.factor))
        case "contrast":
            return image.contrast(try XCTUnwrap(testCase.factor))
        case "flip":
            return image.flippedHorizontally()
        case "spec":
            return try AugmentationSpec(parsing: try XCTUnwrap(testCase.spec)).apply(to: image)
        default:
            throw XCTSkip("unknown op \(testCase.op) in the fixture")
        }
    }

    func testEveryOperationMatchesTheNumpyReferenceWithinOneLevel() throws {
        let fixture = try loadFixture()
        XCTAssertGreaterThanOrEqual(fixture.cases.count, 30)
        for testCase in fixture.cases {
            let input = try XCTUnwrap(fixture.inputs[testCase.input], testCase.name).rgb
            let output = try run(testCase, on: input)
            XCTAssertEqual([output.width, output.height], [testCase.expected.width, testCase.expected.height], testCase.name)
            guard output.pixels.count == testCase.expected.pixels.count else { continue }
            let worst = zip(output.pixels, testCase.expected.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
            XCTAssertLessThanOrEqual(worst, 1, "\(testCase.name): largest difference \(worst) levels")
        }
    }

    func testNinetyDegreesOnASquareIsAnExactTransposeAndFlip() {
        let n = 5
        let image = RGBImage(width: n, height: n, pixels: (0..<n * n * 3).map { UInt8(($0 * 37) % 256) })
        let rotated = image.rotated(degrees: 90)
        for y in 0..<n {
            for x in 0..<n {
                // Counter-clockwise: the right column becomes the top row (numpy's rot90).
                XCTAssert(rotated[x, y] == image[n - 1 - y, x], "pixel (\(x), \(y))")
            }
        }
        XCTAssertEqual(image.rotated(degrees: 360), image)
        XCTAssertEqual(image.rotated(degrees: -270), rotated)
        XCTAssertEqual(image.rotated(degrees: 90).rotated(degrees: 90), image.rotated(degrees: 180))
    }

    func testIntegerShrinkIsAnExactBoxAverage() {
        // 4x2 -> 2x1: each output is the mean of a 2x2 block.
        let image = RGBImage(width: 4, height: 2, grey: [0, 10, 100, 200, 20, 30, 50, 51])
        let small = image.resized(width: 2, height: 1)
        XCTAssertEqual(small.pixels, [15, 15, 15, 100, 100, 100])  // (0+10+20+30)/4, (100+200+50+51)/4 = 100.25
    }

    func testCropBoxOutsideTheImageIsATypedError() {
        let image = TestImages.gradient(width: 7, height: 5)
        XCTAssertThrowsError(try image.cropped(to: PixelRect(x: 5, y: 0, width: 4, height: 2))) { error in
            XCTAssertEqual(error.localizedDescription, "crop: box 4x2 at (5, 0) is outside the 7x5 image")
        }
        XCTAssertThrowsError(try image.cropped(to: PixelRect(x: -1, y: 0, width: 2, height: 2)))
        XCTAssertThrowsError(try image.cropped(to: PixelRect(x: 0, y: 0, width: 0, height: 2))) { error in
            XCTAssertEqual(error.localizedDescription, "crop: box 0x2 at (0, 0) is empty")
        }
        XCTAssertEqual(try image.cropped(to: PixelRect(x: 0, y: 0, width: 7, height: 5)), image)
    }

    func testJPEGRecompressionKeepsSizeAndLosesMoreAtLowQuality() throws {
        let image = TestImages.gradient(width: 40, height: 24).withGaussianNoise(sigma: 20, seed: 3)
        let high = try image.recompressedJPEG(quality: 95)
        let low = try image.recompressedJPEG(quality: 10)
        XCTAssertEqual([low.width, low.height], [40, 24])
        XCTAssertLessThan(TestImages.meanAbsoluteDifference(high, image), TestImages.meanAbsoluteDifference(low, image))
        XCTAssertEqual(try image.recompressedJPEG(quality: 10), low, "deterministic")
    }
}
