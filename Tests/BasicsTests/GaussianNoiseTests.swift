import Basics
import TestSupport
import XCTest

final class GaussianNoiseTests: XCTestCase {
    func testSameSeedSameNoiseOtherSeedOtherNoise() {
        let image = TestImages.gradient(width: 16, height: 16)
        let a = image.withGaussianNoise(sigma: 8, seed: 42)
        XCTAssertEqual(a, image.withGaussianNoise(sigma: 8, seed: 42))
        XCTAssertNotEqual(a, image.withGaussianNoise(sigma: 8, seed: 43))
        XCTAssertEqual(image.withGaussianNoise(sigma: 0, seed: 1), image)
    }

    func testNoiseHasTheAskedMeanAndStandardDeviation() {
        // Mid grey, so clamping at 0 and 255 never bites at sigma 12.
        let image = RGBImage(width: 64, height: 64, grey: [UInt8](repeating: 128, count: 64 * 64))
        let noisy = image.withGaussianNoise(sigma: 12, seed: 7)
        let deltas = noisy.pixels.map { Double(Int($0) - 128) }
        let mean = deltas.reduce(0, +) / Double(deltas.count)
        let std = (deltas.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(deltas.count)).squareRoot()
        // 12288 samples: the mean's standard error is about 0.11; rounding adds 1/12 to the variance.
        XCTAssertEqual(mean, 0, accuracy: 0.4)
        XCTAssertEqual(std, (144 + 1.0 / 12).squareRoot(), accuracy: 0.3)
    }
}
