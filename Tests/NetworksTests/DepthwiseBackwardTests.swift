@testable import Networks
import Basics
import TestSupport
import XCTest

/// The depthwise kernels' backward passes (on the input's stride phases, and with the batch in
/// the lanes for small maps) against nn.Conv2d's gradients summed one term at a time in Double
/// (DirectConvolution): dx, dW and db over every DepthwiseCases shape, with and without bias,
/// both kernels on every shape and the layer on the one it picks, and over many channels split
/// between workers.
final class DepthwiseBackwardTests: XCTestCase {
    typealias Kernel = @Sendable (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>,
                        UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>?, ConvolutionShape) -> Void
    private static let kernels: [(name: String, run: Kernel)] = [
        ("phases", { DepthwiseConvolution.backwardPhased(.init(x: $0, weight: $1, dy: $2, dx: $3, dWeight: $4, dBias: $5, shape: $6), shape: $6) }),
        ("across images", {
            DepthwiseConvolution.backwardAcrossImages(.init(x: $0, weight: $1, dy: $2, dx: $3, dWeight: $4, dBias: $5, shape: $6), shape: $6)
        }),
    ]

    private func depthwise(_ channels: Int, _ c: DepthwiseCases.Case, bias: Bool, seed: UInt64) -> Conv2d {
        var generator = SeededGenerator(seed: seed)
        return Conv2d(inChannels: channels, outChannels: channels * c.multiplier, kernelHeight: c.kernel.0, kernelWidth: c.kernel.1,
                      strideHeight: c.stride.0, strideWidth: c.stride.1, padding: c.padding, groups: channels, bias: bias,
                      generator: &generator)
    }

    private func check(_ layer: Conv2d, input shape: [Int], seed: UInt64, _ name: String,
                       file: StaticString = #filePath, line: UInt = #line) {
        var layer = layer
        XCTAssertTrue(layer.isDepthwise, name, file: file, line: line)
        let x = TestTensors.normal(shape, seed: seed)
        let (y, cache) = layer.forward(x, training: true)
        let dy = TestTensors.normal(y.shape, seed: seed + 1)
        let dx = layer.backward(dy, cache: cache)
        let expected = DirectConvolution.gradients(layer, x, dy)
        let gradients = Dictionary(uniqueKeysWithValues: layer.gradients.map { ($0.0, $0.1.scalars) })
        assertClose(dx.scalars, expected.dx, rtol: 1e-5, atol: 1e-5, "\(name): dx", file: file, line: line)
        assertClose(gradients["weight"] ?? [], expected.dWeight, rtol: 1e-4, atol: 1e-4, "\(name): dW", file: file, line: line)
        if layer.bias != nil {
            assertClose(gradients["bias"] ?? [], expected.dBias, rtol: 1e-4, atol: 1e-4, "\(name): db", file: file, line: line)
        } else {
            XCTAssertNil(gradients["bias"], name, file: file, line: line)
        }
        for kernel in Self.kernels {
            // dW and db start from a value the kernels must add to, not overwrite.
            var dx = [Float](repeating: .nan, count: x.count), dW = [Float](repeating: 0.5, count: layer.weight.count)
            var db = [Float](repeating: 0.5, count: layer.outChannels)
            x.withUnsafeBufferPointer { x in
                layer.weight.withUnsafeBufferPointer { w in
                    dy.withUnsafeBufferPointer { dy in
                        kernel.run(x.baseAddress!, w.baseAddress!, dy.baseAddress!, &dx, &dW, &db, layer.shape(of: cache.input))
                    }
                }
            }
            let label = "\(name), \(kernel.name)"
            assertClose(dx, expected.dx, rtol: 1e-5, atol: 1e-5, "\(label): dx", file: file, line: line)
            assertClose(dW.map { $0 - 0.5 }, expected.dWeight, rtol: 1e-4, atol: 1e-4, "\(label): dW", file: file, line: line)
            assertClose(db.map { $0 - 0.5 }, expected.dBias, rtol: 1e-4, atol: 1e-4, "\(label): db", file: file, line: line)
        }
    }

    func testStridesSizesAndPaddings() {
        for (index, c) in DepthwiseCases.all.enumerated() {
            for bias in [true, false] {
                check(depthwise(3, c, bias: bias, seed: UInt64(140 + index)), input: [2, 3, c.size.0, c.size.1],
                      seed: UInt64(170 + index), "case \(index) bias \(bias)")
            }
        }
    }

    func testManyChannelsSplitBetweenWorkers() {
        // Lite0's block 11 and blocks 12-14 at a batch that gives every worker channels.
        let strided: DepthwiseCases.Case = ((5, 5), (2, 2), Padding(top: 1, bottom: 2, left: 1, right: 2), (10, 10), 1)
        check(depthwise(96, strided, bias: false, seed: 201), input: [5, 96, 10, 10], seed: 202, "96 channels, stride 2")
        let unit: DepthwiseCases.Case = ((5, 5), (1, 1), Padding(2), (5, 5), 1)
        check(depthwise(96, unit, bias: true, seed: 203), input: [6, 96, 5, 5], seed: 204, "96 channels, stride 1")
        // A training batch: 40 images fill one 32-lane block and one 8-lane remainder.
        check(depthwise(8, unit, bias: true, seed: 205), input: [40, 8, 5, 5], seed: 206, "40 images")
    }
}
