import Basics
import TestSupport
import XCTest

final class AugmentationSpecTests: XCTestCase {
    func testFullSpecParsesToTypedStepsInOrder() throws {
        let spec = try AugmentationSpec(parsing: "rotate:30,crop:0.8,brightness:1.2,contrast:0.9,flip,noise:8,jpeg:40,fill:reflect")
        XCTAssertEqual(spec.steps, [.rotate(degrees: 30), .crop(fraction: 0.8), .brightness(factor: 1.2),
                                    .contrast(factor: 0.9), .flip, .noise(sigma: 8), .jpeg(quality: 40)])
        XCTAssertEqual(spec.fill, .reflect)
        XCTAssertEqual(spec.seed, 0)
    }

    func testCanonicalFormRoundTrips() throws {
        let cases: [(String, String)] = [
            ("rotate:30,crop:0.8,brightness:1.2", "rotate:30,crop:0.8,brightness:1.2"),
            (" Rotate:30.0 , flip ,fill:reflect,noise:8,seed:7 ", "rotate:30,flip,noise:8,fill:reflect,seed:7"),
            ("fill:black,seed:0,rotate:-12.5", "rotate:-12.5"),
            ("crop:1e-1,jpeg:040", "crop:0.1,jpeg:40"),
            ("", ""),
            ("rotate:0.1,rotate:0.2", "rotate:0.1,rotate:0.2"),
        ]
        for (input, canonical) in cases {
            let spec = try AugmentationSpec(parsing: input)
            XCTAssertEqual(spec.description, canonical, input)
            XCTAssertEqual(try AugmentationSpec(parsing: spec.description), spec, "round trip of \(input)")
        }
        XCTAssert(try AugmentationSpec(parsing: "").isIdentity)
        // Built by hand, printed, parsed: equal.
        let built = AugmentationSpec(steps: [.rotate(degrees: 1.0 / 3), .contrast(factor: 0.95), .jpeg(quality: 7)],
                                     fill: .reflect, seed: 123)
        XCTAssertEqual(try AugmentationSpec(parsing: built.description), built)
    }

    func testBadTermsAreNamedWithTheReason() {
        let cases: [(String, String)] = [
            ("rotate:abc", "'rotate:abc': angle must be a number"),
            ("crop:1.5", "'crop:1.5': crop fraction must be in (0, 1]"),
            ("crop:0", "'crop:0': crop fraction must be in (0, 1]"),
            ("rotate:30,blur:3", "'blur:3': unknown operation 'blur' (known: rotate, crop, brightness, contrast, flip, noise, jpeg; settings: fill, seed)"),
            ("brightness:-1", "'brightness:-1': brightness factor must be >= 0"),
            ("contrast:x", "'contrast:x': contrast factor must be a number"),
            ("noise:300", "'noise:300': noise sigma must be in [0, 255]"),
            ("jpeg:40.5", "'jpeg:40.5': JPEG quality must be an integer"),
            ("jpeg:0", "'jpeg:0': JPEG quality must be in 1...100"),
            ("flip:2", "'flip:2': flip takes no value"),
            ("rotate", "'rotate': rotate needs a value, e.g. rotate:30 (degrees, counter-clockwise)"),
            ("rotate:", "'rotate:': rotate needs a value, e.g. rotate:30 (degrees, counter-clockwise)"),
            ("rotate:0:90:15", "'rotate:0:90:15': rotate takes one value (a range such as rotate:0:90:15 is for robustness sweeps)"),
            ("rotate:nan", "'rotate:nan': angle must be a number"),
            ("rotate:inf", "'rotate:inf': angle must be a number"),
            ("fill:mirror", "'fill:mirror': fill must be one of: black, reflect"),
            ("fill:black,fill:reflect", "'fill:reflect': fill is given twice"),
            ("seed:-3", "'seed:-3': seed must be a non-negative integer"),
            ("rotate:30,,flip", "'': empty term (two commas in a row, or a trailing comma?)"),
        ]
        for (input, message) in cases {
            XCTAssertThrowsError(try AugmentationSpec(parsing: input), input) { error in
                XCTAssertEqual(error.localizedDescription, message, input)
                XCTAssertFalse(error.localizedDescription.contains("\n"))
            }
        }
    }

    func testApplyRunsStepsInOrder() throws {
        let image = TestImages.gradient(width: 20, height: 10)
        let spec = try AugmentationSpec(parsing: "crop:0.5,flip,brightness:0.5")
        XCTAssertEqual(try spec.apply(to: image), image.croppedCentre(fraction: 0.5).flippedHorizontally().brightness(0.5))
        XCTAssertEqual(try AugmentationSpec.identity.apply(to: image), image)
        let noisy = try AugmentationSpec(parsing: "noise:10,seed:5")
        XCTAssertEqual(try noisy.apply(to: image), try noisy.apply(to: image))
        XCTAssertNotEqual(try noisy.apply(to: image), try AugmentationSpec(parsing: "noise:10,seed:6").apply(to: image))
        let rotated = try AugmentationSpec(parsing: "rotate:20,fill:reflect").apply(to: image)
        XCTAssertEqual(rotated, image.rotated(degrees: 20, fill: .reflect))
        XCTAssertEqual([try AugmentationSpec(parsing: "jpeg:30").apply(to: image).width], [20])
    }

    func testSweepExpandsStrengths() throws {
        let sweep = try AugmentationSweep(parsing: "rotate:0:90:15")
        XCTAssertEqual(sweep.operation, .rotate)
        XCTAssertEqual(sweep.strengths, [0, 15, 30, 45, 60, 75, 90])
        XCTAssertEqual(sweep.description, "rotate:0:90:15")
        XCTAssertEqual(try AugmentationSweep(parsing: sweep.description), sweep)
        XCTAssertEqual(try AugmentationSweep(parsing: "crop:0.5:1:0.1").strengths, [0.5, 0.6, 0.7, 0.8, 0.9, 1])
        XCTAssertEqual(try AugmentationSweep(parsing: "noise:0:10:4").strengths, [0, 4, 8])
        XCTAssertEqual(try AugmentationSweep(parsing: "jpeg:10:90:40").specs().map(\.description), ["jpeg:10", "jpeg:50", "jpeg:90"])
        XCTAssertEqual(try AugmentationSweep(parsing: "rotate:5:5:1").strengths, [5])
        let specs = sweep.specs(fill: .reflect, seed: 2)
        XCTAssertEqual(specs.count, 7)
        XCTAssertEqual(specs[2].description, "rotate:30,fill:reflect,seed:2")
    }

    func testBadSweepsAreNamed() {
        let cases: [(String, String)] = [
            ("rotate:0:90", "'rotate:0:90': a sweep is OPERATION:START:STOP:STEP, e.g. rotate:0:90:15"),
            ("rotate:0:90:0", "'rotate:0:90:0': step must be > 0"),
            ("rotate:90:0:15", "'rotate:90:0:15': stop must be >= start"),
            ("rotate:a:90:15", "'rotate:a:90:15': start must be a number"),
            ("crop:0:1:0.25", "'crop:0:1:0.25': crop fraction must be in (0, 1] (at strength 0)"),
            ("jpeg:0:100:10", "'jpeg:0:100:10': JPEG quality must be in 1...100 (at strength 0)"),
            ("flip:0:1:1", "'flip:0:1:1': flip has no strength to sweep"),
            ("spin:0:1:1", "'spin:0:1:1': unknown operation 'spin' (known: rotate, crop, brightness, contrast, flip, noise, jpeg; settings: fill, seed)"),
            ("rotate:0:100000:1", "'rotate:0:100000:1': more than 1000 strengths"),
        ]
        for (input, message) in cases {
            XCTAssertThrowsError(try AugmentationSweep(parsing: input), input) { error in
                XCTAssertEqual(error.localizedDescription, message, input)
            }
        }
    }
}
