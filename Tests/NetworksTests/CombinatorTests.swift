import Basics
import Networks
import XCTest

final class CombinatorTests: XCTestCase {
    func testResidualGradients() {
        var generator = SeededGenerator(seed: 1)
        let body = Conv2d(inChannels: 3, outChannels: 3, kernelSize: 3, padding: 1, generator: &generator)
        let block = Residual(body)
        XCTAssertEqual(block.parameters.map(\.name), ["weight", "bias"])
        checkGradients(block, input: TestTensors.normal([2, 3, 4, 4], seed: 2), "residual")
    }

    func testConcatBranchesGradientsAndNames() {
        var generator = SeededGenerator(seed: 3)
        let block = Branches(Conv2d(inChannels: 2, outChannels: 3, kernelSize: 1, generator: &generator),
                             BatchNorm2d(numFeatures: 2), merge: .concatenateChannels, names: ("conv", "bn"))
        XCTAssertEqual(block.stateDict.map(\.name), ["conv.weight", "conv.bias", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"])
        checkGradients(block, input: TestTensors.normal([3, 2, 2, 3], seed: 4), "concat")
    }

    func testSummedBranchesGradients() {
        var generator = SeededGenerator(seed: 5)
        let block = Branches(Conv2d(inChannels: 2, outChannels: 3, kernelSize: 1, generator: &generator),
                             Conv2d(inChannels: 2, outChannels: 3, kernelSize: 3, padding: 1, generator: &generator),
                             merge: .sum, names: ("a", "b"))
        let input = TestTensors.normal([2, 2, 3, 3], seed: 6)
        XCTAssertEqual(block(input).shape, [2, 3, 3, 3])
        checkGradients(block, input: input, "sum")
    }

    func testConcatAndSplitAreInverse() {
        let a = TestTensors.normal([2, 1, 2, 2], seed: 5), b = TestTensors.normal([2, 3, 2, 2], seed: 6)
        let joined = Tensor.concatenatingChannels([a, b])
        XCTAssertEqual(joined.shape, [2, 4, 2, 2])
        XCTAssertEqual(joined[1, 0, 1, 1], a[1, 0, 1, 1])
        XCTAssertEqual(joined[1, 2, 0, 1], b[1, 1, 0, 1])
        XCTAssertEqual(joined.splittingChannels([1, 3]), [a, b])
        // (N, C) feature vectors concatenate too.
        XCTAssertEqual(Tensor.concatenatingChannels([Tensor(shape: [2, 1], scalars: [1, 2]), Tensor(shape: [2, 2], scalars: [3, 4, 5, 6])]).scalars,
                       [1, 3, 4, 2, 5, 6])
    }
}
