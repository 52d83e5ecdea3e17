import Networks
import TestSupport
import XCTest

final class NormalizationTests: XCTestCase {
    private func batchNorm2d(_ c: Int, seed: UInt64) -> BatchNorm2d {
        var layer = BatchNorm2d(numFeatures: c)
        layer.setParameter("weight", to: TestTensors.normal([c], seed: seed))
        layer.setParameter("bias", to: TestTensors.normal([c], seed: seed + 1))
        layer.setParameter("running_mean", to: TestTensors.normal([c], seed: seed + 2))
        layer.setParameter("running_var", to: TestTensors.normal([c], seed: seed + 3).map { abs($0) + 0.5 })
        return layer
    }

    func testBatchNorm2dGradientsThroughBatchStatistics() {
        checkGradients(batchNorm2d(3, seed: 1), input: TestTensors.normal([3, 3, 3, 2], seed: 5, scale: 2), training: true, "train")
    }

    func testBatchNorm2dGradientsInEvaluation() {
        checkGradients(batchNorm2d(3, seed: 2), input: TestTensors.normal([2, 3, 3, 3], seed: 6), training: false, "eval")
    }

    func testBatchNorm1dGradients() {
        var layer = BatchNorm1d(numFeatures: 4)
        layer.setParameter("weight", to: TestTensors.normal([4], seed: 7))
        checkGradients(layer, input: TestTensors.normal([5, 4], seed: 8), training: true, "1d train")
        checkGradients(layer, input: TestTensors.normal([3, 4, 3], seed: 9), training: true, "1d (N,C,L) train")
        layer.setParameter("running_var", to: Tensor(shape: [4], scalars: [0.5, 2, 1, 3]))
        checkGradients(layer, input: TestTensors.normal([5, 4], seed: 10), training: false, "1d eval")
    }

    /// Training mode on maps large enough for the kernels' eight-lane partial sums, and sizes
    /// with a tail, against the batch statistics and their gradient computed in Double; the
    /// inputs sit far from zero (mean 50), where a careless variance loses its digits.
    func testTrainingForwardAndBackwardMatchDoubleOnLargeMaps() {
        for (index, shape) in [[3, 5, 7, 9], [2, 4, 32, 32], [4, 3, 4, 4], [2, 2, 1, 17]].enumerated() {
            let seed = UInt64(30 + 4 * index)
            var layer = batchNorm2d(shape[1], seed: seed)
            let x = TestTensors.normal(shape, seed: seed + 1, scale: 3).map { $0 + 50 }
            let dy = TestTensors.normal(shape, seed: seed + 2)
            let (y, cache) = layer.forward(x, training: true)
            let dx = layer.backward(dy, cache: cache)
            let (n, c, spatial) = (shape[0], shape[1], shape[2] * shape[3]), m = Double(n * spatial)
            let gamma = layer.parameter("weight")!.scalars, beta = layer.parameter("bias")!.scalars
            var expectedY = [Float](repeating: 0, count: x.count), expectedDx = expectedY
            var dGamma = [Float](repeating: 0, count: c), dBeta = dGamma
            for channel in 0..<c {
                let at = (0..<n).flatMap { image in (0..<spatial).map { (image * c + channel) * spatial + $0 } }
                let mean = at.reduce(0.0) { $0 + Double(x.scalars[$1]) } / m
                let variance = at.reduce(0.0) { $0 + (Double(x.scalars[$1]) - mean) * (Double(x.scalars[$1]) - mean) } / m
                let invStd = 1 / (variance + 1e-5).squareRoot()
                let xhat = at.map { (Double(x.scalars[$0]) - mean) * invStd }
                let g = at.map { Double(dy.scalars[$0]) }
                let sumDy = g.reduce(0, +), sumDyXhat = zip(g, xhat).reduce(0.0) { $0 + $1.0 * $1.1 }
                dGamma[channel] = Float(sumDyXhat); dBeta[channel] = Float(sumDy)
                for (k, i) in at.enumerated() {
                    expectedY[i] = Float(Double(gamma[channel]) * xhat[k] + Double(beta[channel]))
                    expectedDx[i] = Float(Double(gamma[channel]) * invStd * (g[k] - sumDy / m - xhat[k] * sumDyXhat / m))
                }
            }
            assertClose(y.scalars, expectedY, rtol: 1e-4, atol: 1e-4, "y \(shape)")
            assertClose(dx.scalars, expectedDx, rtol: 1e-4, atol: 1e-4, "dx \(shape)")
            let gradients = Dictionary(uniqueKeysWithValues: layer.gradients.map { ($0.0, $0.1.scalars) })
            assertClose(gradients["weight"] ?? [], dGamma, rtol: 1e-4, atol: 1e-3, "dGamma \(shape)")
            assertClose(gradients["bias"] ?? [], dBeta, rtol: 1e-4, atol: 1e-3, "dBeta \(shape)")
        }
    }

    func testRunningStatisticsFollowPyTorch() {
        var layer = BatchNorm2d(numFeatures: 2)
        // Channel 0 holds 0...7, channel 1 holds 10 x that, over N=2, H*W=4 (M = 8 per channel).
        let values: [Float] = [0, 1, 2, 3, 0, 10, 20, 30, 4, 5, 6, 7, 40, 50, 60, 70]
        let (output, _) = layer.forward(Tensor(shape: [2, 2, 2, 2], scalars: values), training: true)
        // mean 3.5 (35); unbiased var 6 (600); momentum 0.1 from 0 and 1.
        assertClose(layer.parameter("running_mean")!.scalars, [0.35, 3.5], rtol: 1e-6, atol: 1e-6, "running mean")
        assertClose(layer.parameter("running_var")!.scalars, [0.9 + 0.6, 0.9 + 60], rtol: 1e-6, atol: 1e-5, "running var")
        // Normalised with the biased variance 5.25 (525).
        XCTAssertEqual(Double(output[0, 0, 0, 0]), -3.5 / (5.25 + 1e-5).squareRoot(), accuracy: 1e-5)
        // Evaluation reads the running statistics and leaves them alone.
        let before = layer.buffers.map(\.value)
        _ = layer.forward(Tensor(shape: [1, 2, 1, 1], scalars: [1, 2]), training: false)
        XCTAssertEqual(layer.buffers.map(\.value), before)
    }

    func testNamesAreThoseOfPyTorch() {
        let layer = BatchNorm2d(numFeatures: 3)
        XCTAssertEqual(layer.parameters.map(\.name), ["weight", "bias"])
        XCTAssertEqual(layer.buffers.map(\.name), ["running_mean", "running_var"])
        XCTAssertEqual(layer.stateDict.map(\.name), ["weight", "bias", "running_mean", "running_var"])
    }
}
