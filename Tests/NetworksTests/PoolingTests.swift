import Networks
import XCTest

final class PoolingTests: XCTestCase {
    func testMaxPoolGradients() {
        checkGradients(MaxPool2d(kernelSize: 2), input: TestTensors.distinct([2, 2, 4, 4], seed: 1), "k2")
        checkGradients(MaxPool2d(kernelSize: 3, stride: 2, padding: 1), input: TestTensors.distinct([2, 2, 5, 6], seed: 2), "k3 s2 p1")
        checkGradients(MaxPool2d(kernelSize: 3, stride: 1, padding: 1), input: TestTensors.distinct([1, 2, 4, 4], seed: 3), "overlapping")
    }

    func testAvgPoolGradients() {
        checkGradients(AvgPool2d(kernelSize: 2), input: TestTensors.normal([2, 2, 4, 4], seed: 4), "k2")
        checkGradients(AvgPool2d(kernelSize: 3, stride: 2, padding: 1), input: TestTensors.normal([2, 2, 5, 6], seed: 5), "k3 s2 p1")
        checkGradients(AvgPool2d(kernelSize: 3, stride: 2, padding: 1, countIncludePadding: false),
                       input: TestTensors.normal([1, 2, 5, 5], seed: 6), "exclude padding")
        // Unpadded 3x3 (DSH's 3/2 pool and a stride-1 one): the constant-bound loops.
        checkGradients(AvgPool2d(kernelSize: 3, stride: 2), input: TestTensors.normal([2, 2, 7, 9], seed: 7), "k3 s2 unpadded")
        checkGradients(AvgPool2d(kernelSize: 3, stride: 1), input: TestTensors.normal([1, 2, 5, 4], seed: 8), "k3 s1 unpadded")
    }

    func testGlobalPoolingGradients() {
        checkGradients(GlobalAvgPool2d(), input: TestTensors.normal([2, 3, 3, 4], seed: 7), "global avg")
        checkGradients(GlobalMaxPool2d(), input: TestTensors.distinct([2, 3, 3, 4], seed: 8), "global max")
    }

    func testGlobalPoolingValues() {
        let x = Tensor(shape: [1, 2, 2, 2], scalars: [1, 5, 3, 3, -1, -2, -4, -3])
        XCTAssertEqual(GlobalAvgPool2d()(x), Tensor(shape: [1, 2], scalars: [3, -2.5]))
        XCTAssertEqual(GlobalMaxPool2d()(x), Tensor(shape: [1, 2], scalars: [5, -1]))
    }

    /// The unrolled unpadded 3x3 path (DSH's pool) against a direct max, values and the pixel
    /// each gradient goes to, with ties (the first pixel wins) and odd sizes; at stride 2, rows
    /// of 15 and 18 outputs go eight at a time in vectors, the last group overlapping the one
    /// before, and the last rows of the last plane (whose vector reads would leave it) one by one.
    func testUnpadded3x3MaxPoolMatchesADirectMax() {
        for (stride, side) in [(2, 9), (1, 5), (3, 10), (2, 32), (2, 37)] {
            let n = 2, c = 3
            // Few distinct values, so windows hold ties.
            let x = Tensor(shape: [n, c, side, side], scalars: (0..<(n * c * side * side)).map { Float(($0 * 7) % 5) })
            let pool = MaxPool2d(kernelSize: 3, stride: stride)
            let (y, cache) = pool.forward(x, training: true)
            let out = (side - 3) / stride + 1
            XCTAssertEqual(y.shape, [n, c, out, out])
            let dx = pool.backward(Tensor(shape: y.shape, repeating: 1), cache: cache)
            var expected = [Float](repeating: 0, count: x.count), expectedY: [Float] = []
            for plane in 0..<(n * c) {
                for oh in 0..<out {
                    for ow in 0..<out {
                        var best = -Float.infinity, at = 0
                        for i in 0..<3 {
                            for j in 0..<3 {
                                let index = plane * side * side + (oh * stride + i) * side + ow * stride + j
                                if x.scalars[index] > best { best = x.scalars[index]; at = index }
                            }
                        }
                        expectedY.append(best)
                        expected[at] += 1
                    }
                }
            }
            XCTAssertEqual(y.scalars, expectedY, "stride \(stride)")
            XCTAssertEqual(dx.scalars, expected, "stride \(stride): gradients go to the first maximum")
        }
    }

    /// The unpadded 3x3 stride-2 average pool (DSH's and DATH's), eight windows per vector and
    /// the rest one by one, against a direct mean summed in the same order (so exactly equal).
    func testUnpadded3x3Stride2AveragePoolMatchesADirectMean() {
        for side in [7, 15, 32, 37] {
            let x = TestTensors.normal([2, 3, side, side], seed: UInt64(side))
            let y = AvgPool2d(kernelSize: 3, stride: 2)(x)
            let out = (side - 3) / 2 + 1
            var expected: [Float] = []
            for plane in 0..<6 {
                for oh in 0..<out {
                    for ow in 0..<out {
                        var total: Float = 0
                        for i in 0..<3 {
                            for j in 0..<3 { total += x.scalars[plane * side * side + (2 * oh + i) * side + 2 * ow + j] }
                        }
                        expected.append(total / 9)
                    }
                }
            }
            XCTAssertEqual(y.scalars, expected, "side \(side)")
        }
    }

    /// Windows of nothing but -infinity send their gradient to their corner pixel, in the
    /// vectors (the first eight of a row) as one by one.
    func testAllMinusInfinityWindowsPickTheirCorner() {
        let side = 19, out = 9
        let pool = MaxPool2d(kernelSize: 3, stride: 2)
        let (y, cache) = pool.forward(Tensor(shape: [1, 1, side, side], repeating: -.infinity), training: true)
        XCTAssertEqual(y.scalars, [Float](repeating: -.infinity, count: out * out))
        let dx = pool.backward(Tensor(shape: y.shape, repeating: 1), cache: cache)
        var expected = [Float](repeating: 0, count: side * side)
        for oh in 0..<out { for ow in 0..<out { expected[2 * oh * side + 2 * ow] = 1 } }
        XCTAssertEqual(dx.scalars, expected)
    }

    func testMaxPoolTieGoesToTheFirstAndPaddingNeverWins() {
        let pool = MaxPool2d(kernelSize: 2)
        let (output, cache) = pool.forward(Tensor(shape: [1, 1, 2, 2], scalars: [7, 7, 7, 7]), training: true)
        XCTAssertEqual(output.scalars, [7])
        XCTAssertEqual(pool.backward(Tensor(shape: [1, 1, 1, 1], scalars: [1]), cache: cache).scalars, [1, 0, 0, 0])
        let negative = MaxPool2d(kernelSize: 3, stride: 1, padding: 1)(Tensor(shape: [1, 1, 1, 2], scalars: [-5, -6]))
        XCTAssertEqual(negative.scalars, [-5, -5])
    }
}
