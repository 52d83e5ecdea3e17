import Foundation
import Networks
import Basics
import TestSupport
import XCTest

/// EfficientNet-Lite0: its configuration, TF 'same' padding, and parity with the PyTorch
/// reference (Fixtures/efficientnet.json, made by scripts/reference_efficientnet.py).
final class EfficientNetTests: XCTestCase {
    /// The imported ImageNet weights (scripts/fetch-backbone), or an XCTSkip saying how to get them.
    static func weightsPath() throws -> String {
        let path = ProcessInfo.processInfo.environment["HASHSCOPE_EFFNET_WEIGHTS"]
            ?? TestPaths.repository.appendingPathComponent(".cache/backbones/efficientnet-lite0.safetensors").path
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("needs the EfficientNet-Lite0 weights at \(path); run scripts/fetch-backbone (or set HASHSCOPE_EFFNET_WEIGHTS)")
        }
        return path
    }

    /// The reference's synthetic images, pixel values 0-255, as (1,3,H,W) normalised input.
    static func syntheticInput(_ kind: String, height h: Int, width w: Int) -> Tensor {
        var pixels = [Float](repeating: 0, count: 3 * h * w)
        for c in 0..<3 {
            for y in 0..<h {
                for x in 0..<w {
                    let v: Double
                    if kind == "pattern" {
                        v = Double((y * 7 + x * 13 + c * 50 + ((x * y) / 17) * 3) % 256)
                    } else {
                        v = 127.5 + 127.5 * sin(Double(x) / 9 + Double(c)) * cos(Double(y) / 13 - Double(c))
                    }
                    pixels[(c * h + y) * w + x] = (Float(v) - 127) / 128
                }
            }
        }
        return Tensor(shape: [1, 3, h, w], scalars: pixels)
    }

    func testConfigurationMatchesTheCheckpoint() {
        let tensors = EfficientNetLiteConfig(.lite0).expectedTensors
        XCTAssertEqual(tensors.count, 247)
        XCTAssertEqual(tensors.reduce(0) { $0 + $1.shape.reduce(1, *) }, 4_694_024)
        XCTAssertEqual(Set(tensors.map(\.name)).count, tensors.count)
        let blocks = EfficientNetLiteConfig(.lite0).blocks
        XCTAssertEqual(blocks.count, 16)
        XCTAssertFalse(blocks[0].hasExpansion)
        XCTAssertTrue(blocks.dropFirst().allSatisfy(\.hasExpansion))
        // Five stride-2 convolutions: the stem and the first block of four stages.
        XCTAssertEqual(blocks.filter { $0.stride == 2 }.map(\.index), [1, 3, 5, 11])
        XCTAssertEqual(blocks.filter(\.hasSkip).count, 9)
        XCTAssertEqual(EfficientNetLiteConfig.batchNormEps, 1e-3)
        XCTAssertEqual(EfficientNetLiteConfig.normalization.scaleAndBias(channel: 0).scale, 1 / 128)
        XCTAssertEqual(EfficientNetLiteConfig.normalization.scaleAndBias(channel: 2).bias, -127 / 128)
    }

    func testSamePaddingIsAsymmetricOnlyAtStrideTwo() {
        typealias C = EfficientNetLiteConfig
        XCTAssertEqual(C.samePadding(kernel: 3, stride: 2, height: 224, width: 224), Padding(top: 0, bottom: 1, left: 0, right: 1))
        XCTAssertEqual(C.samePadding(kernel: 5, stride: 2, height: 56, width: 56), Padding(top: 1, bottom: 2, left: 1, right: 2))
        XCTAssertEqual(C.samePadding(kernel: 3, stride: 2, height: 160, width: 80), Padding(top: 0, bottom: 1, left: 0, right: 1))
        // Odd sizes: TF pads k - 1 in total when (s - 1) % 2 == 0.
        XCTAssertEqual(C.samePadding(kernel: 3, stride: 2, height: 25, width: 25), Padding(1))
        XCTAssertEqual(C.samePadding(kernel: 5, stride: 2, height: 25, width: 26), Padding(top: 2, bottom: 2, left: 1, right: 2))
        XCTAssertEqual(C.samePadding(kernel: 3, stride: 1, height: 14, width: 14), Padding(1))
        XCTAssertEqual(C.samePadding(kernel: 5, stride: 1, height: 7, width: 7), Padding(2))
    }

    /// Asymmetric padding in both convolution paths (im2col + sgemm and depthwise) against a
    /// direct loop that pads with zeros top/left 0 (or 1) and bottom/right 1 (or 2).
    func testAsymmetricPaddingInConvolutions() {
        var generator = SeededGenerator(seed: 7)
        for (kernel, groups, padding) in [(3, 1, Padding(top: 0, bottom: 1, left: 0, right: 1)),
                                          (3, 4, Padding(top: 0, bottom: 1, left: 0, right: 1)),
                                          (5, 4, Padding(top: 1, bottom: 2, left: 1, right: 2))] {
            let (n, c, h, w, k) = (2, 4, 6, 8, 4)
            let x = Tensor.randomUniform([n, c, h, w], low: -1, high: 1, generator: &generator)
            let weight = Tensor.randomUniform([k, c / groups, kernel, kernel], low: -1, high: 1, generator: &generator)
            let bias = Tensor.randomUniform([k], low: -1, high: 1, generator: &generator)
            let conv = Conv2d(weight: weight, bias: bias, strideHeight: 2, strideWidth: 2, padding: padding, groups: groups)
            let y = conv.forward(x, training: false).output
            let oh = (h + padding.top + padding.bottom - kernel) / 2 + 1
            let ow = (w + padding.left + padding.right - kernel) / 2 + 1
            XCTAssertEqual(y.shape, [n, k, oh, ow])
            XCTAssertEqual(oh, h / 2)
            var expected = [Float](repeating: 0, count: n * k * oh * ow)
            let perGroupIn = c / groups, perGroupOut = k / groups
            for b in 0..<n {
                for o in 0..<k {
                    let g = o / perGroupOut
                    for i in 0..<oh {
                        for j in 0..<ow {
                            var total = Double(bias[o])
                            for ci in 0..<perGroupIn {
                                for u in 0..<kernel {
                                    for v in 0..<kernel {
                                        let yy = i * 2 - padding.top + u, xx = j * 2 - padding.left + v
                                        guard yy >= 0, yy < h, xx >= 0, xx < w else { continue }
                                        total += Double(x[b, g * perGroupIn + ci, yy, xx]) * Double(weight[o, ci, u, v])
                                    }
                                }
                            }
                            expected[((b * k + o) * oh + i) * ow + j] = Float(total)
                        }
                    }
                }
            }
            assertClose(y.scalars, expected, rtol: 1e-5, atol: 1e-5, "kernel \(kernel) groups \(groups) padding \(padding)")
        }
    }

    func testLogitsMatchThePyTorchReference() throws {
        try EfficientNetLiteVariantTests.checkGolden(.lite0, weights: Self.weightsPath(), fixture: "efficientnet.json")
    }

    func testLoadingReportsEveryWrongNameAndShape() throws {
        let scratch = try ScratchDirectory()
        var items = EfficientNetLiteConfig(.lite0).expectedTensors.filter { $0.name != "_fc.bias" }
            .map { (name: $0.name, value: Tensor.zeros($0.name == "_bn0.weight" ? [31] : $0.shape)) }
        items.append((name: "_extra.weight", value: .zeros([2])))
        items.append((name: "_bn0.num_batches_tracked", value: .zeros([1])))
        let path = scratch.path + "/bad.safetensors"
        try ModelFile.save(stateDict: items, to: path)
        XCTAssertThrowsError(try EfficientNetLite(.lite0, contentsOf: path)) { error in
            let message = (error as? LocalizedError)?.errorDescription ?? ""
            XCTAssertTrue(message.hasPrefix(path), message)
            XCTAssertTrue(message.contains("_fc.bias: missing from the file"), message)
            XCTAssertTrue(message.contains("_bn0.weight: file has [31], model expects [32]"), message)
            XCTAssertTrue(message.contains("_extra.weight: unexpected"), message)
            XCTAssertFalse(message.contains("num_batches_tracked"), message)
        }
        XCTAssertThrowsError(try EfficientNetLite(.lite0, contentsOf: scratch.path + "/absent.safetensors")) { error in
            XCTAssertTrue(((error as? LocalizedError)?.errorDescription ?? "").contains("absent.safetensors"))
        }
    }

    /// Zero-valued weights of the right shapes: every size gives (N,1280,ceil(H/32),ceil(W/32)).
    func testFeatureMapShapes() {
        let tensors = Dictionary(uniqueKeysWithValues: EfficientNetLiteConfig(.lite0).expectedTensors.map {
            ($0.name, $0.name.hasSuffix("running_var") ? Tensor(shape: $0.shape, repeating: 1) : Tensor.zeros($0.shape))
        })
        let model = EfficientNetLite(.lite0, tensors: tensors)
        for (h, w) in [(64, 64), (32, 96), (50, 70)] {
            let f = model.features(.zeros([2, 3, h, w]))
            XCTAssertEqual(f.shape, [2, 1280, (h + 31) / 32, (w + 31) / 32], "\(h)x\(w)")
        }
        XCTAssertEqual(model.logits(.zeros([1, 3, 32, 32])).shape, [1, 1000])
    }
}
