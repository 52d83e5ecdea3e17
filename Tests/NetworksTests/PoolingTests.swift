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

    func testMaxPoolTieGoesToTheFirstAndPaddingNeverWins() {
        let pool = MaxPool2d(kernelSize: 2)
        let (output, cache) = pool.forward(Tensor(shape: [1, 1, 2, 2], scalars: [7, 7, 7, 7]), training: true)
        XCTAssertEqual(output.scalars, [7])
        XCTAssertEqual(pool.backward(Tensor(shape: [1, 1, 1, 1], scalars: [1]), cache: cache).scalars, [1, 0, 0, 0])
        let negative = MaxPool2d(kernelSize: 3, stride: 1, padding: 1)(Tensor(shape: [1, 1, 1, 2], scalars: [-5, -6]))
        XCTAssertEqual(negative.scalars, [-5, -5])
    }
}
