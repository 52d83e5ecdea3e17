@testable import Networks
import Basics
import WinogradKernelsAVX2
import TestSupport
import XCTest

/// The forward kernels' special paths against a direct convolution in Double: the depthwise
/// kernels, on the stride phases and with the batch in the lanes, each on every shape (strides
/// 1, 2, 3, odd sizes, asymmetric and lopsided padding, channel multipliers), and ConvolutionGEMM's split of single images over workers (by output
/// rows and by output channels, with im2col, groups and without bias), and the Winograd kernels
/// of stride-1 3x3 and 5x5 convolutions.
final class ConvolutionForwardPathsTests: SmallMapWinogradTestCase {
    private func conv(_ c: Int, _ k: Int, kernelHeight: Int, kernelWidth: Int, stride: (Int, Int) = (1, 1),
                      padding: Padding = .zero, groups: Int = 1, bias: Bool = true, seed: UInt64) -> Conv2d {
        var generator = SeededGenerator(seed: seed)
        return Conv2d(inChannels: c, outChannels: k, kernelHeight: kernelHeight, kernelWidth: kernelWidth,
                      strideHeight: stride.0, strideWidth: stride.1, padding: padding, groups: groups, bias: bias,
                      generator: &generator)
    }

    private func check(_ layer: Conv2d, input shape: [Int], seed: UInt64, _ name: String,
                       file: StaticString = #filePath, line: UInt = #line) {
        let x = TestTensors.normal(shape, seed: seed)
        let (y, _) = layer.forward(x, training: false)
        let (oh, ow) = layer.outputSize(height: shape[2], width: shape[3])
        XCTAssertEqual(y.shape, [shape[0], layer.outChannels, oh, ow], name, file: file, line: line)
        let expected = DirectConvolution.forward(layer, x)
        assertClose(y.scalars, expected, rtol: 1e-5, atol: 1e-5, name, file: file, line: line)
        guard layer.isDepthwise else { return }
        typealias Kernel = (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>?, UnsafeMutablePointer<Float>,
                            ConvolutionShape) -> Void
        let kernels: [(String, Kernel)] = [
            ("phases", { DepthwiseConvolution.forwardPhased(.init(x: $0, weight: $1, bias: $2, y: $3, shape: $4), shape: $4) }),
            ("across images", { DepthwiseConvolution.forwardAcrossImages(.init(x: $0, weight: $1, bias: $2, y: $3, shape: $4), shape: $4) }),
        ]
        let convolution = layer.shape(of: x)
        for (kernel, run) in kernels {
            var out = [Float](repeating: .nan, count: y.count)
            x.withUnsafeBufferPointer { x in
                layer.weight.withUnsafeBufferPointer { w in
                    if let bias = layer.bias {
                        bias.withUnsafeBufferPointer { run(x.baseAddress!, w.baseAddress!, $0.baseAddress!, &out, convolution) }
                    } else {
                        run(x.baseAddress!, w.baseAddress!, nil, &out, convolution)
                    }
                }
            }
            assertClose(out, expected, rtol: 1e-5, atol: 1e-5, "\(name), \(kernel)", file: file, line: line)
        }
    }

    func testDepthwiseStridesSizesAndPaddings() {
        for (index, c) in DepthwiseCases.all.enumerated() {
            let channels = 3
            for bias in [true, false] {
                let layer = conv(channels, channels * c.multiplier, kernelHeight: c.kernel.0, kernelWidth: c.kernel.1,
                                 stride: c.stride, padding: c.padding, groups: channels, bias: bias, seed: UInt64(40 + index))
                XCTAssertTrue(layer.isDepthwise)
                check(layer, input: [2, channels, c.size.0, c.size.1], seed: UInt64(60 + index),
                      "depthwise case \(index) bias \(bias)")
            }
        }
        // Many planes at once (the work is split over workers).
        let wide = conv(64, 64, kernelHeight: 5, kernelWidth: 5, stride: (2, 2),
                        padding: Padding(top: 1, bottom: 2, left: 1, right: 2), groups: 64, seed: 80)
        check(wide, input: [3, 64, 20, 20], seed: 81, "depthwise, 64 channels")
        // A training batch: 40 images fill one 32-lane block and one 8-lane remainder.
        let batch = conv(8, 8, kernelHeight: 5, kernelWidth: 5, padding: Padding(2), groups: 8, seed: 82)
        check(batch, input: [40, 8, 5, 5], seed: 83, "depthwise, 40 images")
    }

    /// Stride-1 convolutions whose padding keeps the width (im2col copies a whole run of rows
    /// and zeroes the wrapped-around columns): symmetric and lopsided padding, padding taller
    /// than the kernel reaches, maps cut into bands and several images per multiply.
    func testWidthKeepingConvolutionsMatchTheDirectOne() {
        let cases: [(String, (Int, Int), Padding, [Int])] = [
            ("3x3 pad 1, several images per multiply", (3, 3), Padding(1), [5, 4, 8, 8]),
            ("5x5 pad 2, cut into bands", (5, 5), Padding(2), [2, 3, 32, 32]),
            ("2x2 lopsided (TF same)", (2, 2), Padding(top: 0, bottom: 1, left: 0, right: 1), [2, 3, 9, 7]),
            ("3x5, taller padding than the kernel reaches", (3, 5), Padding(top: 4, bottom: 3, left: 2, right: 2), [2, 2, 5, 6]),
            ("1x3 on one-row maps", (1, 3), Padding(vertical: 0, horizontal: 1), [3, 2, 1, 9]),
        ]
        for (index, (name, kernel, padding, shape)) in cases.enumerated() {
            for bias in [true, false] {
                let layer = conv(shape[1], 6, kernelHeight: kernel.0, kernelWidth: kernel.1, padding: padding, bias: bias,
                                 seed: UInt64(110 + index))
                XCTAssertEqual(layer.outputSize(height: shape[2], width: shape[3]).1, shape[3], name)
                check(layer, input: shape, seed: UInt64(120 + index), "\(name), bias \(bias)")
            }
        }
    }

    func testSplitChoosesRowsForLargeMapsAndChannelsForSmallOnes() {
        func shape(batch: Int, c: Int, k: Int, side: Int, kernel: Int = 1, groups: Int = 1) -> ConvolutionShape {
            ConvolutionShape(batch: batch, outChannels: k, groups: groups,
                             geometry: WindowGeometry(channels: c, height: side, width: side, kernelHeight: kernel, kernelWidth: kernel,
                                                      strideHeight: 1, strideWidth: 1, padding: Padding(kernel / 2)))
        }
        XCTAssertEqual(shape(batch: 1, c: 32, k: 64, side: 32).splitWithinImages(workers: 2)?.by, .rows)
        XCTAssertEqual(shape(batch: 1, c: 64, k: 512, side: 5).splitWithinImages(workers: 2)?.by, .channels)
        XCTAssertEqual(shape(batch: 1, c: 64, k: 512, side: 8, groups: 2).splitWithinImages(workers: 2)?.by, .rows)
        XCTAssertEqual(shape(batch: 1, c: 64, k: 512, side: 8).splitWithinImages(workers: 4)?.workers, 4)
        XCTAssertEqual(shape(batch: 1, c: 64, k: 512, side: 5).splitWithinImages(workers: 4)?.workers, 3, "by the work")
        XCTAssertNil(shape(batch: 1, c: 8, k: 8, side: 4).splitWithinImages(workers: 2), "too little work")
        XCTAssertNil(shape(batch: 1, c: 64, k: 512, side: 5).splitWithinImages(workers: 1))
        XCTAssertNil(shape(batch: 1, c: 1024, k: 1024, side: 1, groups: 2).splitWithinImages(workers: 2), "one row, groups")
    }

    /// Single images (batch 1 < the worker count where there are two cores) split by rows or
    /// by channels give the direct convolution's output; so do batches.
    func testSingleImagesSplitOverWorkers() {
        let same3 = Padding(top: 0, bottom: 1, left: 0, right: 1)
        let cases: [(String, Conv2d, [Int])] = [
            ("pointwise, rows", conv(32, 64, kernelHeight: 1, kernelWidth: 1, seed: 90), [1, 32, 33, 31]),
            ("pointwise, channels", conv(64, 516, kernelHeight: 1, kernelWidth: 1, seed: 91), [1, 64, 5, 5]),
            ("pointwise, channels, no bias", conv(64, 300, kernelHeight: 1, kernelWidth: 1, bias: false, seed: 92), [1, 64, 7, 7]),
            ("stem-like 3x3/2, rows", conv(3, 32, kernelHeight: 3, kernelWidth: 3, stride: (2, 2), padding: same3, seed: 93), [1, 3, 80, 80]),
            // (8 input channels: too few for the Winograd kernel, so im2col's split is the one tested.)
            ("3x3, channels", conv(8, 256, kernelHeight: 3, kernelWidth: 3, padding: Padding(1), seed: 94), [1, 8, 12, 12]),
            ("groups 2, rows", conv(32, 64, kernelHeight: 3, kernelWidth: 3, padding: Padding(1), groups: 2, seed: 95), [1, 32, 24, 24]),
            ("pointwise, batch 2", conv(64, 516, kernelHeight: 1, kernelWidth: 1, seed: 96), [2, 64, 5, 5]),
            // Several 5 x 5 images per multiply, as in Lite0's last blocks (a copy per channel).
            ("pointwise, several images per multiply", conv(16, 24, kernelHeight: 1, kernelWidth: 1, seed: 98), [9, 16, 5, 5]),
            ("pointwise, several images per multiply, no bias", conv(16, 24, kernelHeight: 1, kernelWidth: 1, bias: false, seed: 99),
             [9, 16, 5, 5]),
        ]
        for (name, layer, shape) in cases {
            check(layer, input: shape, seed: 97, name)
        }
    }

    /// Winograd's F(4x4, 3x3) and F(2x2, 5x5) give the direct convolution: maps whose side is
    /// not a multiple of the tile (tiles hanging over the edge), unpadded and lopsided padding,
    /// single images (split over the cores by tile rows) and batches, channel counts that are not
    /// multiples of 8, with and without bias, and blocks of tiles spanning several images.
    func testWinogradConvolutionsMatchTheDirectOne() {
        let cases: [(String, Int, Padding, [Int], Int)] = [
            ("3x3 pad 1, 32x32", 3, Padding(1), [2, 16, 32, 32], 24),
            ("3x3 pad 1, 7x9, one image", 3, Padding(1), [1, 33, 7, 9], 10),
            ("3x3 unpadded, 10x13", 3, .zero, [3, 17, 10, 13], 8),
            ("3x3 lopsided", 3, Padding(top: 0, bottom: 2, left: 1, right: 0), [2, 16, 6, 5], 9),
            ("5x5 pad 2, 15x15 (DSH's second)", 5, Padding(2), [3, 32, 15, 15], 32),
            ("5x5 pad 2, 7x7, one image", 5, Padding(2), [1, 32, 7, 7], 64),
            ("5x5 unpadded, 9x6", 5, .zero, [2, 20, 9, 6], 5),
            ("5x5 pad 2, many small images per block", 5, Padding(2), [40, 16, 3, 3], 7),
        ]
        for (index, (name, kernel, padding, shape, outChannels)) in cases.enumerated() {
            for bias in [true, false] {
                let layer = conv(shape[1], outChannels, kernelHeight: kernel, kernelWidth: kernel, padding: padding, bias: bias,
                                 seed: UInt64(140 + index))
                let x = Tensor.zeros(shape)
                XCTAssertEqual(WinogradConvolution.transform(for: layer.shape(of: x)) != nil, WinogradConvolution.cpuSupported,
                               "\(name) runs the Winograd kernel where the CPU can")
                check(layer, input: shape, seed: UInt64(160 + index), "\(name), bias \(bias)")
            }
        }
    }

    /// The Toom-Cook construction gives Lavin and Gray's published F(4x4, 3x3) matrices (rows
    /// of B^T and G may both have the opposite sign: their product is what is fixed).
    func testWinogradTransformsAreLavinsMatrices() {
        let f43 = WinogradTransform.f4x3
        let bT: [Float] = [4, 0, -5, 0, 1, 0,
                           0, -4, -4, 1, 1, 0,
                           0, 4, -4, -1, 1, 0,
                           0, -2, -1, 2, 1, 0,
                           0, 2, -1, -2, 1, 0,
                           0, 4, 0, -5, 0, 1]
        let g: [Float] = [1.0 / 4, 0, 0,
                          -1.0 / 6, -1.0 / 6, -1.0 / 6,
                          -1.0 / 6, 1.0 / 6, -1.0 / 6,
                          1.0 / 24, 1.0 / 12, 1.0 / 6,
                          1.0 / 24, -1.0 / 12, 1.0 / 6,
                          0, 0, 1]
        for row in 0..<6 {
            let ours = Array(f43.inputTransform[(row * 6)..<(row * 6 + 6)]), published = Array(bT[(row * 6)..<(row * 6 + 6)])
            let sign: Float = ours == published ? 1 : -1
            XCTAssertEqual(ours, published.map { sign * $0 }, "B^T row \(row)")
            assertClose(Array(f43.kernelTransform[(row * 3)..<(row * 3 + 3)]), g[(row * 3)..<(row * 3 + 3)].map { sign * $0 },
                        atol: 1e-7, "G row \(row)")
        }
        XCTAssertEqual(f43.outputTransform, [1, 1, 1, 1, 1, 0,
                                             0, 1, -1, 2, -2, 0,
                                             0, 1, 1, 4, 4, 0,
                                             0, 1, -1, 8, -8, 1], "A^T")
        for other in [WinogradTransform.f2x5, .f3x4, .f5x2] {
            XCTAssertEqual(other.inputTransform, f43.inputTransform, "one B^T for all (the same points)")
        }
        XCTAssertNil(WinogradTransform.forKernel(7))
    }

    /// The written-out B^T and A^T of WinogradKernelsAVX2 are the matrices WinogradTransform
    /// builds: applied to the unit vectors they give the matrices' columns. (The module may run
    /// only on CPUs with AVX2 and FMA; elsewhere Winograd is never chosen.)
    func testWrittenOutTransformsAreTheBuiltMatrices() throws {
        guard WinogradConvolution.cpuSupported else {
            XCTAssertNil(WinogradConvolution.transform(for: conv(32, 32, kernelHeight: 3, kernelWidth: 3, padding: 1, seed: 1)
                .shape(of: Tensor.zeros([1, 32, 8, 8]))), "no AVX2 and FMA: im2col")
            return
        }
        typealias Lanes = WinogradLanes
        for q in 0..<6 {
            let unit = (0..<6).map { Lanes(repeating: $0 == q ? 1 : 0) }
            XCTAssertEqual(WinogradTransformsAVX2.inputTransform(unit).map { $0[0] },
                           (0..<6).map { WinogradTransform.f4x3.inputTransform[$0 * 6 + q] }, "B^T column \(q)")
            for transform in [WinogradTransform.f2x5, WinogradTransform.f4x3] {
                let m = transform.outputTile
                XCTAssertEqual(WinogradTransformsAVX2.outputTransform(outputTile: m, unit).map { $0[3] },
                               (0..<m).map { transform.outputTransform[$0 * 6 + q] }, "A^T column \(q), m \(m)")
            }
        }
    }
}

/// Winograd runs only where a pass has enough output tiles to pay for transforming every kernel.
final class WinogradThresholdTests: XCTestCase {
    func testFewTilesTakeIm2colAndManyTakeWinograd() throws {
        try XCTSkipUnless(WinogradConvolution.cpuSupported, "no AVX2/FMA: Winograd never runs")
        var generator = SeededGenerator(seed: 1)
        let conv = Conv2d(inChannels: 64, outChannels: 64, kernelSize: 3, padding: Padding(1), bias: false, generator: &generator)
        func winograd(_ shape: [Int]) -> Bool { WinogradConvolution.transform(for: conv.shape(of: Tensor.zeros(shape))) != nil }
        XCTAssertEqual(WinogradConvolution.minimumTiles, 32)
        XCTAssertFalse(winograd([1, 64, 7, 7]), "ResNet's last stage, one image: 4 tiles")
        XCTAssertFalse(winograd([1, 64, 14, 14]), "16 tiles")
        XCTAssertTrue(winograd([2, 64, 14, 14]), "32 tiles")
        XCTAssertTrue(winograd([1, 64, 28, 28]), "49 tiles")
        XCTAssertTrue(winograd([64, 64, 7, 7]), "a training batch of small maps")
    }
}

