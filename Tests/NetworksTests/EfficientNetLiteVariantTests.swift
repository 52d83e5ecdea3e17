import Foundation
import Networks
import Basics
import TestSupport
import XCTest

/// EfficientNet-Lite1 and -Lite2 beside Lite0: the configuration computed from the width and
/// depth coefficients against the real state dicts' names and shapes
/// (Fixtures/efficientnet-lite-layouts.json, by scripts/make-efficientnet-layouts.py), forward
/// shapes on random weights, a file of another variant refused in one line, and parity with the
/// PyTorch reference on the real weights (Fixtures/efficientnet-lite1.json and -lite2.json, by
/// scripts/reference_efficientnet.py; skipped without scripts/fetch-backbone NAME).
final class EfficientNetLiteVariantTests: XCTestCase {
    typealias Variant = EfficientNetLiteConfig.Variant

    private struct Layouts: Decodable {
        struct Layout: Decodable {
            let sha256: String
            /// [name, shape, dtype] in the state dict's order.
            let tensors: [[Entry]]
        }
        enum Entry: Decodable {
            case text(String), shape([Int])
            init(from decoder: Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let text = try? container.decode(String.self) { self = .text(text) } else { self = .shape(try container.decode([Int].self)) }
            }
        }
        let variants: [String: Layout]
    }

    func testEveryVariantReadsExactlyTheRealStateDictsNamesAndShapes() throws {
        let url = TestPaths.repository.appendingPathComponent("Tests/NetworksTests/Fixtures/efficientnet-lite-layouts.json")
        let layouts = try JSONDecoder().decode(Layouts.self, from: Data(contentsOf: url))
        XCTAssertEqual(Set(layouts.variants.keys), Set(Variant.allCases.map(\.rawValue)))
        for variant in Variant.allCases {
            let layout = try XCTUnwrap(layouts.variants[variant.rawValue])
            var real: [(name: String, shape: [Int])] = []
            for entry in layout.tensors {
                guard case .text(let name) = entry[0], case .shape(let shape) = entry[1], case .text(let dtype) = entry[2] else {
                    return XCTFail("\(variant): malformed entry \(entry)")
                }
                if name.hasSuffix("num_batches_tracked") { XCTAssertEqual(dtype, "int64"); continue }
                XCTAssertEqual(dtype, "float32", name)
                real.append((name, shape))
            }
            let expected = EfficientNetLiteConfig(variant).expectedTensors
            XCTAssertEqual(expected.map(\.name), real.map(\.name), "\(variant): names, in the state dict's order")
            XCTAssertEqual(expected.map(\.shape), real.map(\.shape), "\(variant): shapes")
            // fetch-backbone's checkpoints: the name's 8 hex digits are the SHA-256's prefix.
            XCTAssertEqual(String(layout.sha256.prefix(8)), ["57934424", "77cc7160", "9656183e"][Variant.allCases.firstIndex(of: variant)!])
        }
    }

    /// Lite0 is the base table itself; Lite1 deepens the five middle stages (ceil(1.1 r)),
    /// Lite2 also widens them (round_filters(c * 1.1) to multiples of 8); stem 32 and head 1280
    /// stay, as do the single blocks of the first and last stage.
    func testStagesScaleByTheReferencesRounding() {
        XCTAssertEqual(EfficientNetLiteConfig(.lite0).stages, EfficientNetLiteConfig.baseStages)
        let rows = Variant.allCases.map { v -> (repeats: [Int], channels: [Int], blocks: Int, trunk: Int) in
            let c = EfficientNetLiteConfig(v)
            return (c.stages.map(\.repeats), c.stages.map(\.outChannels), c.blocks.count, c.trunkChannels)
        }
        XCTAssertEqual(rows[0].repeats, [1, 2, 2, 3, 3, 4, 1])
        XCTAssertEqual(rows[1].repeats, [1, 3, 3, 4, 4, 5, 1])
        XCTAssertEqual(rows[2].repeats, [1, 3, 3, 4, 4, 5, 1])
        XCTAssertEqual(rows[1].channels, [16, 24, 40, 80, 112, 192, 320])
        XCTAssertEqual(rows[2].channels, [16, 24, 48, 88, 120, 208, 352])
        XCTAssertEqual(rows.map(\.blocks), [16, 21, 21])
        XCTAssertEqual(rows.map(\.trunk), [192, 192, 208])
        for v in Variant.allCases {
            let c = EfficientNetLiteConfig(v)
            XCTAssertEqual(c.stages[0].inChannels, EfficientNetLiteConfig.stemChannels, "\(v): the stem stays 32")
            XCTAssertEqual(c.expectedTensors.last { $0.name == "_conv_head.weight" }?.shape.first, 1280, "\(v): the head stays 1280")
            XCTAssertEqual(c.trunkBlockCount, c.blocks.count - 1)
            XCTAssertEqual(c.blocks.filter { $0.stride == 2 }.count, 4, "\(v): four stride-2 blocks after the stem")
        }
        // round_filters: nearest multiple of 8, halves up, never below 90%.
        typealias C = EfficientNetLiteConfig
        XCTAssertEqual([16, 24, 40, 80, 112, 192, 320, 1280].map { C.roundFilters($0, width: 1.1) }, [16, 24, 48, 88, 120, 208, 352, 1408])
        XCTAssertEqual(C.roundFilters(20, width: 1.0), 24, "20 -> 24: halves go up")
        XCTAssertEqual(C.roundFilters(4, width: 1.0), 8, "at least the divisor")
        XCTAssertEqual([1, 2, 3, 4].map { C.roundRepeats($0, depth: 1.1) }, [2, 3, 4, 5])
        XCTAssertEqual([1, 2, 3, 4].map { C.roundRepeats($0, depth: 1.0) }, [1, 2, 3, 4])
        XCTAssertEqual(Variant.allCases.map(\.coefficients.resolution), [224, 240, 260])
    }

    func testBackboneNamesDescribeEveryVariant() {
        for (name, trunk, description) in [(BackboneName.efficientNetLite0, 192, "trunk (blocks 0-14)"),
                                           (.efficientNetLite1, 192, "trunk (blocks 0-19)"),
                                           (.efficientNetLite2, 208, "trunk (blocks 0-19)")] {
            XCTAssertEqual(name.efficientNetLite?.backboneName, name)
            XCTAssertEqual(name.normalization, .efficientNetLite, "\(name)")
            XCTAssertEqual(name.defaultInputSize, 160, "\(name)")
            XCTAssertEqual(name.trunkChannels, trunk, "\(name)")
            XCTAssertEqual(name.featureChannels, 1280, "\(name)")
            XCTAssertEqual(name.trunkDescription(), description)
            XCTAssertEqual(name.defaultWeightsPath, ".cache/backbones/\(name.rawValue).safetensors")
        }
        XCTAssertNil(BackboneName.resnet50.efficientNetLite)
    }

    /// Random weights of each variant's shapes: the trunk's and the head's maps at several sizes,
    /// the last stage run on the trunk's output equals the whole network, and the untrained
    /// last stage has the pretrained one's names and shapes.
    func testForwardShapesOfEveryVariantWithRandomWeights() {
        var inputs = SeededGenerator(seed: 3)
        for variant in Variant.allCases {
            let model = RandomBackbone.model(variant)
            XCTAssertEqual(model.name, variant.backboneName)
            for (h, w) in [(64, 64), (50, 70)] {
                let x = Tensor.randomUniform([2, 3, h, w], low: -1, high: 1, generator: &inputs)
                let side = [(h + 31) / 32, (w + 31) / 32]
                let trunk = model.trunk(x)
                XCTAssertEqual(trunk.shape, [2, model.config.trunkChannels] + side, "\(variant) \(h)x\(w)")
                let features = model.features(x)
                XCTAssertEqual(features.shape, [2, 1280] + side, "\(variant) \(h)x\(w)")
                var stage = model.lastStage()
                assertClose(stage.forward(trunk, training: false).output.scalars, features.scalars,
                            rtol: 1e-4, atol: 1e-5, "\(variant): last stage on the trunk")
            }
            XCTAssertEqual(model.logits(.zeros([1, 3, 32, 32])).shape, [1, 1000])
            var generator = SeededGenerator(seed: 1)
            let untrained = EfficientNetLite.untrainedLastStage(variant, &generator).stateDict
            XCTAssertEqual(untrained.map(\.name), model.lastStage().stateDict.map(\.name), "\(variant)")
            XCTAssertEqual(untrained.map(\.value.shape), model.lastStage().stateDict.map(\.value.shape), "\(variant)")
        }
    }

    /// Lite0's weights given as Lite1's (and so on): one line saying whose they are.
    func testAnotherVariantsWeightsAreNamedInOneLine() throws {
        let scratch = try ScratchDirectory()
        let lite0 = scratch.path + "/lite0.safetensors"
        try RandomBackbone.write(to: lite0)
        XCTAssertThrowsError(try EfficientNetLite(.lite1, contentsOf: lite0)) { error in
            XCTAssertEqual((error as? LocalizedError)?.errorDescription, "\(lite0): holds EfficientNet-Lite0 weights, not EfficientNet-Lite1's")
        }
        XCTAssertThrowsError(try BackboneWeights.open(.efficientNetLite2, path: lite0)) { error in
            let message = (error as? LocalizedError)?.errorDescription ?? ""
            XCTAssertEqual(message, "\(lite0): holds EfficientNet-Lite0 weights, not EfficientNet-Lite2's (scripts/fetch-backbone efficientnet-lite2 fetches and imports them)")
        }
        let lite2 = scratch.path + "/lite2.safetensors"
        try RandomBackbone.write(to: lite2, tensors: RandomBackbone.tensors(.lite2))
        XCTAssertThrowsError(try EfficientNetLite(.lite0, contentsOf: lite2)) { error in
            XCTAssertEqual((error as? LocalizedError)?.errorDescription, "\(lite2): holds EfficientNet-Lite2 weights, not EfficientNet-Lite0's")
        }
        XCTAssertNoThrow(try EfficientNetLite(.lite2, contentsOf: lite2))
        // Not a whole other variant: every problem, as before.
        var partial = RandomBackbone.tensors(.lite1)
        partial["_fc.bias"] = nil
        let broken = scratch.path + "/broken.safetensors"
        try RandomBackbone.write(to: broken, tensors: partial)
        XCTAssertThrowsError(try EfficientNetLite(.lite1, contentsOf: broken)) { error in
            let message = (error as? LocalizedError)?.errorDescription ?? ""
            XCTAssertTrue(message.contains("_fc.bias: missing from the file"), message)
        }
    }

    func testLite1LogitsMatchThePyTorchReference() throws { try Self.checkGolden(.lite1) }
    func testLite2LogitsMatchThePyTorchReference() throws { try Self.checkGolden(.lite2) }

    /// The reference's synthetic images (one at the variant's ImageNet side, 160 x 160, and
    /// 100 x 132): features and logits within 1e-3 of their scale, the same top 5. `weights`:
    /// the imported file (default: where scripts/fetch-backbone puts it); `fixture`: the
    /// reference's file (default Fixtures/VARIANT.json; Lite0's is efficientnet.json).
    static func checkGolden(_ variant: Variant, weights: String? = nil, fixture: String? = nil) throws {
        let path = weights ?? TestPaths.repository.appendingPathComponent(variant.backboneName.defaultWeightsPath).path
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("needs the \(variant.displayName) weights at \(path); run scripts/fetch-backbone \(variant.rawValue)")
        }
        let model = try EfficientNetLite(variant, contentsOf: path)
        let url = TestPaths.repository.appendingPathComponent("Tests/NetworksTests/Fixtures/\(fixture ?? variant.rawValue + ".json")")
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
        XCTAssertEqual(golden.eps, EfficientNetLiteConfig.batchNormEps)
        XCTAssertEqual(golden.cases.first?.height, variant.coefficients.resolution)
        for c in golden.cases {
            let name = "\(variant.displayName) \(c.image) \(c.height)x\(c.width)"
            let features = model.features(EfficientNetTests.syntheticInput(c.image, height: c.height, width: c.width))
            XCTAssertEqual(features.shape, c.feature_shape, name)
            assertClose(Array(features.scalars.prefix(16)), c.feature_first, rtol: 1e-3, atol: 1e-3, name)
            let mean = features.scalars.reduce(0.0) { $0 + Double($1) } / Double(features.count)
            XCTAssertEqual(mean, c.feature_mean, accuracy: 1e-4 * max(1, abs(c.feature_mean)), name)
            let logits = model.classifier.forward(model.pooled(features), training: false).output
            let scale = c.logits.map(abs).max() ?? 1
            let worst = zip(logits.scalars, c.logits).map { abs($0 - $1) }.max() ?? 0
            print("\(name) parity: max |logit diff| \(worst), relative to max |logit| \(worst / scale)")
            XCTAssertLessThan(worst / scale, 1e-3, "\(name): max |diff| \(worst), max |logit| \(scale)")
            let top5 = logits.scalars.indices.sorted { logits.scalars[$0] > logits.scalars[$1] }.prefix(5)
            XCTAssertEqual(Array(top5), c.top5, name)
        }
    }

    private struct Golden: Decodable {
        struct Case: Decodable {
            let image: String, height: Int, width: Int
            let logits: [Float], top5: [Int]
            let feature_shape: [Int], feature_mean: Double, feature_first: [Float]
        }
        let eps: Float
        let cases: [Case]
    }
}
