import Basics
@testable import Networks
import TestSupport
import XCTest

final class ConvolutionTests: SmallMapWinogradTestCase {
    private func conv(_ c: Int, _ k: Int, kernel: Int = 3, stride: Int = 1, padding: Padding = .zero,
                      groups: Int = 1, bias: Bool = true, seed: UInt64 = 1) -> Conv2d {
        var generator = SeededGenerator(seed: seed)
        return Conv2d(inChannels: c, outChannels: k, kernelSize: kernel, stride: stride, padding: padding,
                      groups: groups, bias: bias, generator: &generator)
    }

    // MARK: gradient checks (input, weight, bias)

    func testGradientsPlain() {
        checkGradients(conv(2, 3), input: TestTensors.normal([2, 2, 5, 5], seed: 10), "3x3")
    }

    func testGradientsStride2Padded() {
        checkGradients(conv(2, 3, stride: 2, padding: 1), input: TestTensors.normal([2, 2, 6, 5], seed: 11), "stride 2 pad 1")
    }

    func testGradientsAsymmetricPadding() {
        let padding = Padding(top: 0, bottom: 1, left: 2, right: 0)
        checkGradients(conv(2, 2, stride: 2, padding: padding), input: TestTensors.normal([1, 2, 6, 6], seed: 12), "asymmetric")
        // Stride 1 with the width kept: im2col and col2im work on whole runs of rows and must
        // drop the columns that wrap around a row's edge (lopsided, and taller than the kernel).
        checkGradients(conv(2, 2, kernel: 2, padding: Padding(top: 1, bottom: 2, left: 0, right: 1)),
                       input: TestTensors.normal([2, 2, 4, 5], seed: 25), "width kept, lopsided")
        checkGradients(conv(2, 2, kernel: 5, padding: 2), input: TestTensors.normal([1, 2, 5, 6], seed: 26), "width kept, 5x5")
    }

    func testGradientsGroups2() {
        checkGradients(conv(4, 6, padding: 1, groups: 2), input: TestTensors.normal([2, 4, 4, 4], seed: 13), "groups 2")
    }

    func testGradientsDepthwise() {
        checkGradients(conv(3, 3, padding: 1, groups: 3), input: TestTensors.normal([2, 3, 5, 5], seed: 14), "depthwise")
        // Stride 1 and stride 2, both on the stride phases (DepthwiseBackwardTests has the other shapes).
        checkGradients(conv(2, 4, kernel: 3, padding: Padding(top: 2, bottom: 0, left: 1, right: 2), groups: 2, bias: false),
                       input: TestTensors.normal([2, 2, 5, 4], seed: 24), "depthwise x2 asymmetric")
        checkGradients(conv(2, 4, kernel: 3, stride: 2, padding: Padding(top: 1, bottom: 0, left: 0, right: 1), groups: 2),
                       input: TestTensors.normal([2, 2, 6, 6], seed: 15), "depthwise x2 strided asymmetric")
    }

    func testGradientsWithoutBias() {
        let layer = conv(2, 3, padding: 1, bias: false)
        XCTAssertEqual(layer.parameters.map(\.name), ["weight"])
        checkGradients(layer, input: TestTensors.normal([2, 2, 4, 4], seed: 16), "no bias")
    }

    func testGradientsPointwiseAndSeveralImagesPerMultiply() {
        // 1x1: the image is its own column matrix; 4 images on 2 workers put 2 images in one multiply.
        checkGradients(conv(3, 2, kernel: 1), input: TestTensors.normal([4, 3, 3, 3], seed: 17), "1x1")
        checkGradients(conv(3, 2, kernel: 1), input: TestTensors.normal([7, 3, 3, 3], seed: 19), "1x1, 3 and 4 images per multiply")
        checkGradients(conv(2, 3, padding: 1), input: TestTensors.normal([5, 2, 3, 3], seed: 18), "batched small maps")
    }

    func testGradientsLargeMapsCutIntoBands() {
        // Maps of more than ConvolutionShape.targetColumns (384) output pixels are cut into bands
        // of rows (the last one shorter): 23x20 gives bands of 19 and 4 rows.
        checkGradients(conv(2, 2, padding: 1), input: TestTensors.normal([1, 2, 23, 20], seed: 21), "bands 3x3")
        checkGradients(conv(2, 3, kernel: 1), input: TestTensors.normal([1, 2, 23, 20], seed: 22), "bands 1x1")
        checkGradients(conv(1, 2, stride: 2, padding: Padding(top: 1, bottom: 0, left: 1, right: 0)),
                       input: TestTensors.normal([1, 1, 46, 40], seed: 23), "bands stride 2")
    }

    /// Stride-1 3x3 and 5x5 convolutions compute dx by Winograd when they have 16 or more output
    /// channels (the forward pass of the turned kernels), and dW when they have 16 or more input
    /// channels (on the forward's tiles); checked against finite differences, and against
    /// im2col's gradients on the shapes they meet: lopsided and unpadded maps, one image and
    /// several, sides that are not multiples of the tile, and each path without the other.
    func testWinogradGradients() {
        // The loss is linear in x and W, so a wide step has no truncation error and keeps Float
        // rounding in the 400-term loss (about 1e-5 of it) from swamping the differences.
        checkGradients(conv(16, 16, padding: 1), input: TestTensors.normal([1, 16, 5, 5], seed: 27), step: 0.5, "winograd 3x3 pad 1")
        let cases: [(String, Int, Padding, [Int], Int)] = [
            ("3x3 pad 1", 3, Padding(1), [2, 20, 9, 11], 16),
            ("3x3 lopsided", 3, Padding(top: 2, bottom: 0, left: 1, right: 2), [1, 8, 7, 6], 24),
            ("3x3 unpadded", 3, .zero, [3, 17, 8, 8], 32),
            ("5x5 pad 2", 5, Padding(2), [2, 32, 15, 15], 64),
            ("5x5 unpadded", 5, .zero, [1, 5, 9, 10], 20),
        ]
        for (index, (name, kernel, padding, shape, outChannels)) in cases.enumerated() {
            var layer = conv(shape[1], outChannels, kernel: kernel, padding: padding, seed: UInt64(30 + index))
            let x = TestTensors.normal(shape, seed: UInt64(40 + index))
            let (y, cache) = layer.forward(x, training: true)
            let dy = TestTensors.normal(y.shape, seed: UInt64(50 + index))
            let dx = layer.backward(dy, cache: cache)
            let supported = WinogradConvolution.cpuSupported
            XCTAssertEqual(WinogradConvolution.inputGradientConvolution(of: layer.shape(of: x)) != nil, supported, "\(name): dx by Winograd")
            XCTAssertEqual(WinogradConvolution.transform(for: layer.shape(of: x)) != nil, supported && shape[1] >= 16,
                           "\(name): dW by Winograd")
            // Without dx (a first layer's): the weight gradient alone, the same.
            var parametersOnly = conv(shape[1], outChannels, kernel: kernel, padding: padding, seed: UInt64(30 + index))
            parametersOnly.accumulateParameterGradients(dy, cache: parametersOnly.forward(x, training: true).cache)
            var im2colDx = [Float](repeating: 0, count: x.count)
            var weightGrad = [Float](repeating: 0, count: layer.weight.count), biasGrad = [Float](repeating: 0, count: outChannels)
            x.withUnsafeBufferPointer { xp in
                layer.weight.withUnsafeBufferPointer { wp in
                    dy.withUnsafeBufferPointer { dyp in
                        ConvolutionGEMM.backward(x: xp.baseAddress!, weight: wp.baseAddress!, dy: dyp.baseAddress!,
                                                 dx: &im2colDx, dWeight: &weightGrad, dBias: &biasGrad, shape: layer.shape(of: x))
                    }
                }
            }
            assertClose(dx.scalars, im2colDx, rtol: 1e-4, atol: 1e-5, "\(name) dx")
            let gradients = Dictionary(uniqueKeysWithValues: layer.gradients.map { ($0.name, $0.value.scalars) })
            // dW sums N x H' x W' products (450 here); Winograd's rounding is measured against
            // the gradient's scale (F(5x5, 2x2)'s A' has entries up to 16), not each element's.
            let scale = weightGrad.map(abs).max() ?? 1
            assertClose(gradients["weight"] ?? [], weightGrad, rtol: 1e-4, atol: 2e-5 * scale, "\(name) dW")
            assertClose(gradients["bias"] ?? [], biasGrad, rtol: 1e-5, atol: 1e-5, "\(name) db")
            assertClose(parametersOnly.gradients.first { $0.name == "weight" }?.value.scalars ?? [], weightGrad,
                        rtol: 1e-4, atol: 2e-5 * scale, "\(name) dW without dx")
        }
    }

    func testGradientsRectangularKernel() {
        var generator = SeededGenerator(seed: 19)
        let layer = Conv2d(inChannels: 2, outChannels: 2, kernelHeight: 2, kernelWidth: 3, strideHeight: 1, strideWidth: 2,
                           padding: Padding(vertical: 1, horizontal: 0), generator: &generator)
        checkGradients(layer, input: TestTensors.normal([2, 2, 4, 7], seed: 20), "2x3 kernel")
    }

    // MARK: batch splitting

    /// The batch is split over workers and, for small maps, several images share a multiply:
    /// outputs and gradients must equal those of the images one at a time.
    func testBatchEqualsImageByImage() {
        for (size, groups) in [(24, 1), (35, 1), (3, 1), (6, 2), (9, 4)] {
            var layer = conv(4, 8, padding: 1, groups: groups, seed: 30)
            let batch = TestTensors.normal([7, 4, size, size], seed: 31)
            let gradOutput = TestTensors.normal([7, 8, size, size], seed: 32)
            let (output, cache) = layer.forward(batch, training: true)
            let gradInput = layer.backward(gradOutput, cache: cache)

            var single = conv(4, 8, padding: 1, groups: groups, seed: 30)
            let plane = 4 * size * size, outPlane = 8 * size * size
            var outputs: [Float] = [], gradInputs: [Float] = []
            for n in 0..<7 {
                let x = Tensor(shape: [1, 4, size, size], scalars: Array(batch.scalars[(n * plane)..<((n + 1) * plane)]))
                let dy = Tensor(shape: [1, 8, size, size], scalars: Array(gradOutput.scalars[(n * outPlane)..<((n + 1) * outPlane)]))
                let (y, c) = single.forward(x, training: true)
                outputs += y.scalars
                gradInputs += single.backward(dy, cache: c).scalars
            }
            assertClose(output.scalars, outputs, rtol: 1e-5, atol: 1e-5, "output size \(size) groups \(groups)")
            assertClose(gradInput.scalars, gradInputs, rtol: 1e-5, atol: 1e-5, "dx size \(size) groups \(groups)")
            for ((name, a), (_, b)) in zip(layer.gradients, single.gradients) {
                assertClose(a.scalars, b.scalars, rtol: 1e-4, atol: 1e-4, "\(name) size \(size) groups \(groups)")
            }
        }
    }

    // MARK: shapes and padding

    func testOutputSizes() {
        XCTAssertTrue(conv(3, 4, stride: 2, padding: 1).outputSize(height: 32, width: 31) == (16, 16))
        XCTAssertTrue(conv(3, 4, kernel: 5).outputSize(height: 8, width: 9) == (4, 5))
    }

    func testTensorFlowSamePadding() {
        // EfficientNet stem: 224 -> 112 with a 3x3 stride-2 kernel pads 0 above/left, 1 below/right.
        XCTAssertEqual(Padding.same(height: 224, width: 224, kernelHeight: 3, kernelWidth: 3, strideHeight: 2, strideWidth: 2),
                       Padding(top: 0, bottom: 1, left: 0, right: 1))
        XCTAssertEqual(Padding.same(height: 14, width: 14, kernelHeight: 5, kernelWidth: 5, strideHeight: 1, strideWidth: 1),
                       Padding(2))
        XCTAssertEqual(Padding.same(height: 15, width: 15, kernelHeight: 5, kernelWidth: 5, strideHeight: 2, strideWidth: 2),
                       Padding(2))
    }

    func testFoldingBatchNormMatchesConvThenBatchNormInEvaluation() {
        let layer = conv(3, 4, padding: 1, seed: 40)
        var batchNorm = BatchNorm2d(numFeatures: 4)
        batchNorm.setParameter("weight", to: TestTensors.normal([4], seed: 41))
        batchNorm.setParameter("bias", to: TestTensors.normal([4], seed: 42))
        batchNorm.setParameter("running_mean", to: TestTensors.normal([4], seed: 43))
        batchNorm.setParameter("running_var", to: TestTensors.normal([4], seed: 44).map { abs($0) + 0.3 })
        let x = TestTensors.normal([2, 3, 5, 5], seed: 45)
        let expected = batchNorm(layer(x))
        assertClose(layer.folding(batchNorm)(x).scalars, expected.scalars, rtol: 1e-5, atol: 1e-5, "folded")

        let noBias = conv(3, 4, padding: 1, bias: false, seed: 46)
        assertClose(noBias.folding(batchNorm)(x).scalars, batchNorm(noBias(x)).scalars, rtol: 1e-5, atol: 1e-5, "folded, no bias")
    }
}
