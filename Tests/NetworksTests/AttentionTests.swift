import Foundation
import Basics
import Networks
import TestSupport
import XCTest

/// CBAM, DANet's PAM and CAM, and the residual soft-mask attention: gradient checks of the
/// input and every parameter, golden forwards against numpy (Fixtures/attention.json, made by
/// scripts/reference_attention.py), the display maps' shapes and ranges, batch independence.
final class AttentionTests: XCTestCase {
    // MARK: gradient checks

    func testCBAMChannelGateGradients() {
        var generator = SeededGenerator(seed: 1)
        // Distinct inputs 0.05 apart: every plane's maximum stays its maximum under a step.
        let x = TestTensors.distinct([2, 4, 3, 3], seed: 2).map { $0 * 0.5 }
        let plain = CBAMChannelGate(channels: 4, reduction: 2, generator: &generator)
        XCTAssertEqual(plain.parameters.map(\.name), ["fc1.weight", "fc2.weight"])
        XCTAssertEqual(plain.parameters.map(\.value.shape), [[2, 4], [4, 2]])
        checkGradientsAwayFromKinks(plain, input: x, pattern: channelGatePattern, "channel gate")
        let biased = CBAMChannelGate(channels: 4, reduction: 2, bias: true, generator: &generator)
        XCTAssertEqual(biased.parameters.map(\.name), ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"])
        checkGradientsAwayFromKinks(biased, input: x, pattern: channelGatePattern, "channel gate with bias")
    }

    func testCBAMSpatialGateGradients() {
        var generator = SeededGenerator(seed: 3)
        let x = TestTensors.distinct([2, 3, 4, 3], seed: 4).map { $0 * 0.5 }
        let gate = CBAMSpatialGate(generator: &generator)
        XCTAssertEqual(gate.parameters.map(\.name), ["conv.weight"])
        XCTAssertEqual(gate.parameters.map(\.value.shape), [[1, 2, 7, 7]])
        checkGradients(gate, input: x, "spatial gate 7x7")
        checkGradients(CBAMSpatialGate(kernelSize: 3, bias: true, generator: &generator), input: x, "spatial gate 3x3 with bias")
    }

    func testCBAMGradientsAndNames() {
        var generator = SeededGenerator(seed: 5)
        let module = CBAM(channels: 8, reduction: 4, generator: &generator)
        XCTAssertEqual(module.parameters.map(\.name), ["channel.fc1.weight", "channel.fc2.weight", "spatial.conv.weight"])
        checkGradientsAwayFromKinks(module, input: TestTensors.distinct([2, 8, 3, 3], seed: 6).map { $0 * 0.3 }, pattern: { cbam, x in
            // The MLP's ReLUs, and which channel holds each position's maximum after the channel gate.
            let refined = cbam.channel(x)
            var argmax: [Int] = []
            for image in 0..<2 {
                for i in 0..<9 {
                    argmax.append((0..<8).max { refined[flat: (image * 8 + $0) * 9 + i] < refined[flat: (image * 8 + $1) * 9 + i] }!)
                }
            }
            return channelGatePattern(cbam.channel, x) + argmax
        }, "cbam")
    }

    func testPAMGradientsAndNames() {
        var generator = SeededGenerator(seed: 7)
        let module = PositionAttentionModule(channels: 16, gamma: 0.7, generator: &generator)
        XCTAssertEqual(module.keyChannels, 2)
        XCTAssertEqual(module.parameters.map(\.name), ["query_conv.weight", "query_conv.bias", "key_conv.weight", "key_conv.bias",
                                                      "value_conv.weight", "value_conv.bias", "gamma"])
        XCTAssertEqual(module.parameters.map(\.value.shape), [[2, 16, 1, 1], [2], [2, 16, 1, 1], [2], [16, 16, 1, 1], [16], [1]])
        checkGradients(module, input: TestTensors.normal([2, 16, 3, 2], seed: 8), "pam")
        // 11 positions: the softmax's 8-lane part and its tail.
        checkGradients(PositionAttentionModule(channels: 8, gamma: -0.6, generator: &generator),
                       input: TestTensors.normal([1, 8, 1, 11], seed: 16), "pam 11 positions")
        // DANet's start, gamma = 0: the module is the identity and only gamma learns at first.
        let identity = PositionAttentionModule(channels: 3, keyChannels: 2, generator: &generator)
        let x = TestTensors.normal([2, 3, 2, 3], seed: 9)
        XCTAssertEqual(identity(x), x)
        checkGradients(identity, input: x, "pam gamma 0")
    }

    func testCAMGradients() {
        let module = ChannelAttentionModule(gamma: 0.8)
        XCTAssertEqual(module.parameters.map(\.name), ["gamma"])
        checkGradients(module, input: TestTensors.normal([2, 5, 3, 3], seed: 10, scale: 0.5), "cam")
        checkGradients(ChannelAttentionModule(gamma: -1.1), input: TestTensors.normal([1, 10, 2, 2], seed: 17, scale: 0.5),
                       "cam 10 channels")
        let identity = ChannelAttentionModule()
        let x = TestTensors.normal([1, 4, 2, 2], seed: 11)
        XCTAssertEqual(identity(x), x)
        checkGradients(identity, input: x, "cam gamma 0")
    }

    func testSoftMaskGradientsAndNames() {
        var generator = SeededGenerator(seed: 12)
        let trunk = Conv2d(inChannels: 3, outChannels: 4, kernelSize: 3, padding: 1, generator: &generator)
        let module = ResidualSoftMaskAttention(trunk: trunk, inChannels: 3, outChannels: 4, generator: &generator)
        XCTAssertEqual(module.parameters.map(\.name), ["trunk.weight", "trunk.bias", "mask.conv1.weight", "mask.conv1.bias",
                                                      "mask.conv2.weight", "mask.conv2.bias"])
        XCTAssertEqual(module.parameters.map(\.value.shape)[2...], [[4, 3, 3, 3], [4], [4, 4, 1, 1], [4]])
        let maskPattern = { (layer: ResidualSoftMaskAttention<Conv2d>, x: Tensor) in positivePattern(layer.maskConv1(x)) }
        checkGradientsAwayFromKinks(module, input: TestTensors.normal([2, 3, 4, 3], seed: 13), pattern: maskPattern, "soft mask")

        // A downsampling trunk (a strided conv beside a max pool) with a mask of the same stride.
        let strided = ResidualSoftMaskAttention(
            trunk: Branches(Conv2d(inChannels: 2, outChannels: 2, kernelSize: 3, stride: 2, padding: 1, generator: &generator),
                            MaxPool2d(window: PoolingWindow(kernelSize: 3, stride: 2, padding: Padding(1))),
                            merge: .concatenateChannels, names: ("conv", "pool")),
            inChannels: 2, outChannels: 4, maskStride: 2, generator: &generator)
        XCTAssertEqual(strided(TestTensors.normal([1, 2, 6, 5], seed: 14)).shape, [1, 4, 3, 3])
        // Distinct inputs 0.03 apart keep the pool's maxima; the mask's ReLUs are watched.
        checkGradientsAwayFromKinks(strided, input: TestTensors.distinct([2, 2, 6, 5], seed: 15).map { $0 * 0.3 },
                                    pattern: { positivePattern($0.maskConv1($1)) }, "soft mask stride 2")
    }

    /// The channel gate's MLP ReLUs: the signs of fc1 on the stacked [avgpool; maxpool] (2N, C).
    private func channelGatePattern(_ gate: CBAMChannelGate, _ x: Tensor) -> [Int] {
        let average = GlobalAvgPool2d()(x), maximum = GlobalMaxPool2d()(x)
        let pooled = Tensor(shape: [2 * x.shape[0], x.shape[1]], scalars: average.scalars + maximum.scalars)
        return positivePattern(gate.fc1(pooled))
    }

    // MARK: golden forwards

    private struct TensorJSON: Decodable {
        let shape: [Int]
        let data: [Double]
        var tensor: Tensor { Tensor(shape: shape, scalars: data.map { Float($0) }) }
    }

    private struct CBAMCase: Decodable {
        let name: String
        let input: TensorJSON, fc1_weight: TensorJSON, fc1_bias: TensorJSON?, fc2_weight: TensorJSON, fc2_bias: TensorJSON?
        let conv_weight: TensorJSON, conv_bias: TensorJSON?
        let output: TensorJSON, spatial_map: TensorJSON, channel_weights: TensorJSON
    }

    private struct PAMCase: Decodable {
        let name: String, gamma: Float
        let input: TensorJSON, query_weight: TensorJSON, query_bias: TensorJSON, key_weight: TensorJSON, key_bias: TensorJSON
        let value_weight: TensorJSON, value_bias: TensorJSON
        let output: TensorJSON, map: TensorJSON
    }

    private struct CAMCase: Decodable {
        let name: String, gamma: Float
        let input: TensorJSON, output: TensorJSON, map: TensorJSON
    }

    private struct Fixture: Decodable {
        let cbam: [CBAMCase], pam: [PAMCase], cam: [CAMCase]
    }

    private static func fixture() throws -> Fixture {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/attention", withExtension: "json")
                                ?? Bundle.module.url(forResource: "attention", withExtension: "json", subdirectory: "Fixtures"),
                                "no Fixtures/attention.json in the test bundle")
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    private func check(_ actual: Tensor, _ expected: TensorJSON, _ name: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.shape, expected.shape, "\(name) shape", file: file, line: line)
        assertClose(actual.scalars.map(Double.init), expected.data, rtol: 1e-5, atol: 1e-5, name, file: file, line: line)
    }

    func testCBAMAgainstNumpy() throws {
        let cases = try Self.fixture().cbam
        XCTAssertEqual(cases.count, 3)
        for c in cases {
            let module = CBAM(channel: CBAMChannelGate(fc1: Linear(weight: c.fc1_weight.tensor, bias: c.fc1_bias?.tensor),
                                                       fc2: Linear(weight: c.fc2_weight.tensor, bias: c.fc2_bias?.tensor)),
                              spatial: CBAMSpatialGate(weight: c.conv_weight.tensor, bias: c.conv_bias?.tensor))
            let copy = module
            let (output, cache) = copy.forward(c.input.tensor, training: false)
            check(output, c.output, "cbam \(c.name)")
            check(module.attentionMap(cache), c.spatial_map, "cbam \(c.name) spatial map")
            check(module.channelWeights(cache), c.channel_weights, "cbam \(c.name) channel weights")
        }
    }

    func testPAMAgainstNumpy() throws {
        let cases = try Self.fixture().pam
        XCTAssertEqual(cases.count, 2)
        for c in cases {
            let module = PositionAttentionModule(queryConv: Conv2d(weight: c.query_weight.tensor, bias: c.query_bias.tensor),
                                                 keyConv: Conv2d(weight: c.key_weight.tensor, bias: c.key_bias.tensor),
                                                 valueConv: Conv2d(weight: c.value_weight.tensor, bias: c.value_bias.tensor),
                                                 gamma: c.gamma)
            let (output, map) = module.forwardWithAttentionMap(c.input.tensor)
            check(output, c.output, "pam \(c.name)")
            check(map, c.map, "pam \(c.name) map")
        }
    }

    func testCAMAgainstNumpy() throws {
        let cases = try Self.fixture().cam
        XCTAssertEqual(cases.count, 2)
        for c in cases {
            let (output, map) = ChannelAttentionModule(gamma: c.gamma).forwardWithAttentionMap(c.input.tensor)
            check(output, c.output, "cam \(c.name)")
            check(map, c.map, "cam \(c.name) map")
        }
    }

    /// The vectorised softmax (with its own exp) against a Double softmax over energies from
    /// -90 to 90: one channel, Q = K = 3x, so E[i, j] = 9 x_i x_j, and V = x.
    func testPAMSoftmaxAcrossAWideRangeOfEnergies() {
        let positions = 43  // 5 vectors of 8 and a tail of 3 per row
        let x = Tensor(shape: [1, 1, 1, positions], scalars: (0..<positions).map { Float($0) / Float(positions - 1) * 6 - 3 })
        func conv(_ w: Float) -> Conv2d { Conv2d(weight: Tensor(shape: [1, 1, 1, 1], scalars: [w]), bias: Tensor(shape: [1], scalars: [0])) }
        let module = PositionAttentionModule(queryConv: conv(3), keyConv: conv(3), valueConv: conv(1), gamma: 0.5)
        let (output, map) = module.forwardWithAttentionMap(x)
        var expectedOutput: [Double] = [], expectedMap = [Double](repeating: 0, count: positions)
        let values = x.scalars.map(Double.init)
        for i in 0..<positions {
            let energies = values.map { 9 * values[i] * $0 }
            let largest = energies.max()!
            let weights = energies.map { Foundation.exp($0 - largest) }
            let total = weights.reduce(0, +)
            var attended = 0.0
            for j in 0..<positions {
                attended += weights[j] / total * values[j]
                expectedMap[j] += weights[j] / total / Double(positions)
            }
            expectedOutput.append(0.5 * attended + values[i])
        }
        assertClose(output.scalars.map(Double.init), expectedOutput, rtol: 1e-5, atol: 1e-6, "output")
        assertClose(map.scalars.map(Double.init), expectedMap, rtol: 1e-5, atol: 1e-7, "map")
    }

    // MARK: maps

    func testMapShapesAndRanges() {
        var generator = SeededGenerator(seed: 20)
        let x = TestTensors.normal([3, 16, 5, 4], seed: 21, scale: 2)

        let cbam = CBAM(channels: 16, reduction: 4, generator: &generator)
        let (cbamOutput, cbamMap) = cbam.forwardWithAttentionMap(x)
        XCTAssertEqual(cbamMap.shape, [3, 5, 4])
        XCTAssertTrue(cbamMap.scalars.allSatisfy { $0 > 0 && $0 < 1 }, "CBAM's Ms is a sigmoid")
        // The map is what scales the channel-refined features at each position.
        let channelGate = cbam.channel
        let refined = channelGate.forward(x, training: false).output
        XCTAssertEqual(cbamOutput[2, 7, 3, 1], refined[2, 7, 3, 1] * cbamMap[2, 3, 1])

        let pam = PositionAttentionModule(channels: 16, gamma: 0.5, generator: &generator)
        let pamMap = pam.forwardWithAttentionMap(x).map
        XCTAssertEqual(pamMap.shape, [3, 5, 4])
        XCTAssertTrue(pamMap.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
        for image in 0..<3 {
            let total = pamMap.scalars[(image * 20)..<((image + 1) * 20)].reduce(0, +)
            assertClose(total, 1, atol: 1e-5, "PAM map of image \(image) sums to 1")
        }

        // CAM's map is the channel mean of A X = (out - x) / gamma.
        let cam = ChannelAttentionModule(gamma: 0.5)
        let (camOutput, camMap) = cam.forwardWithAttentionMap(x)
        XCTAssertEqual(camMap.shape, [3, 5, 4])
        var expected = [Float](repeating: 0, count: 60)
        for image in 0..<3 {
            for channel in 0..<16 {
                for i in 0..<20 {
                    let flat = (image * 16 + channel) * 20 + i
                    expected[image * 20 + i] += (camOutput[flat: flat] - x[flat: flat]) / 0.5 / 16
                }
            }
        }
        assertClose(camMap.scalars, expected, rtol: 1e-4, atol: 1e-4, "CAM map")

        let trunk = Conv2d(inChannels: 16, outChannels: 6, kernelSize: 3, stride: 2, padding: 1, generator: &generator)
        let softMask = ResidualSoftMaskAttention(trunk: trunk, inChannels: 16, outChannels: 6, maskStride: 2, generator: &generator)
        let softMaskMap = softMask.forwardWithAttentionMap(x).map
        XCTAssertEqual(softMaskMap.shape, [3, 3, 2])
        XCTAssertTrue(softMaskMap.scalars.allSatisfy { $0 > 0 && $0 < 1 }, "the soft mask is a sigmoid")
    }

    // MARK: batch independence

    func testBatchEqualsImageByImage() {
        var generator = SeededGenerator(seed: 30)
        let x = TestTensors.normal([5, 16, 4, 3], seed: 31)
        assertBatchMatchesImages(CBAM(channels: 16, reduction: 4, channelBias: true, generator: &generator), x, "cbam",
                                 map: { $0.attentionMap($1) })
        assertBatchMatchesImages(PositionAttentionModule(channels: 16, gamma: 0.6, generator: &generator), x, "pam",
                                 map: { $0.attentionMap($1) })
        assertBatchMatchesImages(ChannelAttentionModule(gamma: 0.4), x.map { $0 * 0.5 }, "cam", map: { $0.attentionMap($1) })
        let trunk = Conv2d(inChannels: 16, outChannels: 8, kernelSize: 3, padding: 1, generator: &generator)
        assertBatchMatchesImages(ResidualSoftMaskAttention(trunk: trunk, inChannels: 16, outChannels: 8, generator: &generator),
                                 x, "soft mask", map: { $0.attentionMap($1) })
    }
}

/// The image `index` of a batch (N, ...) as a batch of one (1, ...).
func imageSlice(of batch: Tensor, _ index: Int) -> Tensor {
    let size = batch.count / batch.shape[0]
    return Tensor(shape: [1] + batch.shape.dropFirst(), scalars: Array(batch.scalars[(index * size)..<((index + 1) * size)]))
}

/// A batch's forward and backward must equal its images' one at a time: outputs, input
/// gradients, the (optional) display map, and parameter gradients summed over the images.
func assertBatchMatchesImages<L: Layer>(_ layer: L, _ input: Tensor, _ label: String,
                                        map: (L, L.Cache) -> Tensor? = { _, _ in nil },
                                        file: StaticString = #filePath, line: UInt = #line) {
    var batched = layer
    batched.zeroGrad()
    let (output, cache) = batched.forward(input, training: true)
    let gradOutput = TestTensors.normal(output.shape, seed: 99)
    let gradInput = batched.backward(gradOutput, cache: cache)
    let batchMap = map(batched, cache)

    var single = layer
    single.zeroGrad()
    var outputs: [Float] = [], gradInputs: [Float] = [], maps: [Float] = []
    for index in 0..<input.shape[0] {
        let (y, c) = single.forward(imageSlice(of: input, index), training: true)
        outputs += y.scalars
        gradInputs += single.backward(imageSlice(of: gradOutput, index), cache: c).scalars
        maps += map(single, c)?.scalars ?? []
    }
    assertClose(output.scalars, outputs, rtol: 1e-5, atol: 1e-5, "\(label) output", file: file, line: line)
    assertClose(gradInput.scalars, gradInputs, rtol: 1e-5, atol: 1e-5, "\(label) input gradient", file: file, line: line)
    if let batchMap {
        XCTAssertEqual(batchMap.shape, [input.shape[0]] + batchMap.shape.dropFirst(), "\(label) map shape", file: file, line: line)
        assertClose(batchMap.scalars, maps, rtol: 1e-5, atol: 1e-6, "\(label) map", file: file, line: line)
    }
    for ((name, a), (_, b)) in zip(batched.gradients, single.gradients) {
        assertClose(a.scalars, b.scalars, rtol: 1e-4, atol: 1e-4, "\(label) \(name) gradient", file: file, line: line)
    }
}

/// `checkGradients` (same probe loss, step and tolerances) for layers with ReLUs or maxima
/// INSIDE them, where inputs cannot be kept away from the kinks: perturbing a bias by h moves
/// every pre-activation of its channel, and a central difference across a kink is wrong by up to
/// the downstream slope. `pattern(layer, x)` returns the layer's piecewise pattern (which ReLU
/// inputs are > 0, which element is each maximum), computed through the public sublayers; an
/// element whose +-h evaluations change the pattern is skipped (the function is not
/// differentiable-by-differences there) and every other element is compared. A weight or bias
/// perturbation moves many ReLU inputs at once, so a tensor may lose many elements; to keep the
/// check's teeth every tensor must keep at least one element and at most `maximumSkipped` of all
/// elements (input and parameters together) may be skipped.
func checkGradientsAwayFromKinks<L: Layer>(
    _ layer: L, input: Tensor, pattern: (L, Tensor) -> [Int], step: Float = 1e-2,
    rtol: Double = 1e-3, atol: Double = 1e-4, maximumSkipped: Double = 0.5, seed: UInt64 = 7,
    _ label: String = "", file: StaticString = #filePath, line: UInt = #line
) {
    var generator = SeededGenerator(seed: seed)
    var probe = layer
    probe.zeroGrad()
    let (output, cache) = probe.forward(input, training: true)
    let weights = Tensor.randomNormal(output.shape, generator: &generator)
    let gradInput = probe.backward(weights, cache: cache)
    XCTAssertEqual(gradInput.shape, input.shape, "\(label) input gradient shape", file: file, line: line)
    let analytic = probe.gradients
    let basePattern = pattern(layer, input)

    var skipped = 0, total = 0

    func loss(_ candidate: L, _ x: Tensor) -> Double {
        var copy = candidate
        return copy.forward(x, training: true).output.dot(weights)
    }

    /// Compares `got` with central differences of `evaluate`, skipping pattern changes.
    func compare(_ got: Tensor, _ value: Tensor, _ what: String, _ evaluate: (Tensor) -> (loss: Double, pattern: [Int])) {
        var analyticKept: [Double] = [], numericKept: [Double] = []
        for i in 0..<value.count {
            var plus = value, minus = value
            plus[flat: i] = value[flat: i] + step
            minus[flat: i] = value[flat: i] - step
            let (up, upPattern) = evaluate(plus), (down, downPattern) = evaluate(minus)
            guard upPattern == basePattern && downPattern == basePattern else { continue }
            analyticKept.append(Double(got[flat: i]))
            numericKept.append((up - down) / (Double(plus[flat: i]) - Double(minus[flat: i])))
        }
        skipped += value.count - numericKept.count
        total += value.count
        XCTAssertFalse(numericKept.isEmpty, "\(label) \(what): all \(value.count) elements sit within a step of a kink",
                       file: file, line: line)
        let scale = max(1, numericKept.reduce(0) { max($0, abs($1)) })
        assertClose(analyticKept, numericKept, rtol: rtol, atol: atol * scale, "\(label) \(what)", file: file, line: line)
    }

    compare(gradInput, input, "d/d(input)") { x in (loss(layer, x), pattern(layer, x)) }
    for (name, value) in layer.parameters {
        guard let got = analytic.first(where: { $0.name == name })?.value else {
            XCTFail("\(label) no gradient for \(name)", file: file, line: line)
            continue
        }
        compare(got, value, "d/d(\(name))") { perturbed in
            var candidate = layer
            candidate.setParameter(name, to: perturbed)
            return (loss(candidate, input), pattern(candidate, input))
        }
    }

    XCTAssertLessThanOrEqual(Double(skipped), maximumSkipped * Double(total),
                             "\(label): \(skipped) of \(total) elements sit within a step of a kink", file: file, line: line)

    // Backward adds: a second backward with the same cache doubles every parameter gradient.
    _ = probe.backward(weights, cache: cache)
    for ((name, once), (_, twice)) in zip(analytic, probe.gradients) {
        assertClose(twice.scalars, (once * 2).scalars, rtol: 1e-5, atol: 1e-6, "\(label) \(name) accumulates", file: file, line: line)
    }
}

/// Which elements of `t` are > 0, as 1 and 0: a ReLU's pattern.
func positivePattern(_ t: Tensor) -> [Int] { t.scalars.map { $0 > 0 ? 1 : 0 } }
