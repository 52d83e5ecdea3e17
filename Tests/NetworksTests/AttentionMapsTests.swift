import Networks
import Basics
import TestSupport
import XCTest

/// HashingNetwork.attentionMaps: every attention module's map from one evaluation pass, named by
/// its parameter path, with the plain forward's output.
final class AttentionMapsTests: XCTestCase {
    private struct Expected {
        let architecture: Architecture
        /// (name, (H, W), weighsPositions) in forward order.
        let maps: [(name: String, grid: [Int], weighsPositions: Bool)]
        let displayed: String
    }

    // At 32x32: DAH's second stage sees 15x15, DATH's streams 7x7, CBAM's last stage 8x8.
    private let expectations = [
        Expected(architecture: .dah, maps: [("features.3", [15, 15], true)], displayed: "features.3"),
        Expected(architecture: .dath, maps: [("features.streams.position.pam", [7, 7], true),
                                             ("features.streams.channel.cam", [7, 7], false)],
                 displayed: "features.streams.position.pam"),
        Expected(architecture: .cbam, maps: [("features.cbam", [8, 8], true)], displayed: "features.cbam"),
    ]

    private func network(_ architecture: Architecture) -> HashingNetwork {
        architecture.build(.init(bits: 12, inputSize: 32, classes: 10, seed: 5))
    }

    private func images(_ n: Int, seed: UInt64) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        return .randomNormal([n, 3, 32, 32], generator: &generator)
    }

    /// Image `index` of a batch, as a batch of one.
    private func image(_ index: Int, of batch: Tensor) -> Tensor {
        let size = batch.count / batch.shape[0]
        return Tensor(shape: [1] + batch.shape.dropFirst(), scalars: Array(batch.scalars[(index * size)..<((index + 1) * size)]))
    }

    func testAttentionNetworksReportNamedMapsOverTheirGridsAndTheUnchangedOutput() {
        let x = images(2, seed: 11)
        for expected in expectations {
            let net = network(expected.architecture)
            let label = expected.architecture.rawValue
            XCTAssertTrue(net.hasAttention, label)
            XCTAssertEqual(net.attentionMapNames, expected.maps.map(\.name), label)
            let (output, maps) = net.attentionMaps(x)
            XCTAssertEqual(output, net(x), "\(label): the output must be the plain forward's")
            XCTAssertEqual(maps.map(\.name), expected.maps.map(\.name), label)
            for (map, want) in zip(maps, expected.maps) {
                XCTAssertEqual(map.map.shape, [2] + want.grid, "\(label) \(map.name)")
                XCTAssertEqual(map.weighsPositions, want.weighsPositions, "\(label) \(map.name)")
                XCTAssertTrue(net.parameters.contains { $0.name.hasPrefix(map.name + ".") }, "\(map.name) is no parameter path")
                XCTAssertTrue(map.map.scalars.allSatisfy(\.isFinite), "\(label) \(map.name) has non-finite values")
                let plane = map.image(1)
                XCTAssertEqual([plane.height, plane.width], want.grid)
                XCTAssertEqual(plane.values, Array(map.map.scalars[(want.grid[0] * want.grid[1])...]))
                let range = plane.finiteRange
                XCTAssertNotNil(range)
                XCTAssertLessThan(range?.min ?? 0, range?.max ?? 0, "\(label) \(map.name) is flat: nothing to show")
            }
            XCTAssertEqual(ModuleAttentionMap.displayed(among: maps)?.name, expected.displayed, label)
        }
    }

    /// The maps mean what their modules say: PAM's sums to 1 per image (attention received),
    /// the soft mask and CBAM's gate lie in (0, 1).
    func testMapValuesHaveTheirModulesRanges() {
        let x = images(2, seed: 12)
        for architecture in [Architecture.dah, .dath, .cbam] {
            for map in network(architecture).attentionMaps(x).maps {
                for index in 0..<2 {
                    let values = map.image(index).values
                    switch map.name {
                    case "features.streams.position.pam":
                        assertClose(values.reduce(0, +), 1, atol: 1e-5, "PAM map sum, image \(index)")
                        XCTAssertTrue(values.allSatisfy { $0 >= 0 }, "PAM map is a mean of probabilities")
                    case "features.streams.channel.cam":
                        break  // activations' range
                    default:
                        XCTAssertTrue(values.allSatisfy { $0 > 0 && $0 < 1 }, "\(map.name) must be a sigmoid gate")
                    }
                }
            }
        }
    }

    /// The walk hands each module its own cache: its map equals the module's own pass over the
    /// feature map that reaches it.
    func testMapsEqualTheModulesOwnPassOnTheirInput() throws {
        let x = images(2, seed: 13)
        for (architecture, index) in [(Architecture.dah, 3), (.cbam, 4)] {
            let net = network(architecture)
            let layers = net.features.layers
            let reaching = Sequential(named: layers[..<index].map { ($0.name, $0.layer as any Layer) })(x)
            let module = try XCTUnwrap(layers[index].layer.base as? any AttentionMapping, architecture.rawValue)
            XCTAssertEqual(net.attentionMaps(x).maps.first?.map, module.forwardWithAttentionMap(reaching).map,
                           architecture.rawValue)
        }
        // DATH: features = backbone, then Branches(position stream, channel stream).
        let net = network(.dath)
        let backbone = net.features.layers[0].layer(x)
        let streams = try XCTUnwrap(net.features.layers[1].layer.base as? Branches<Sequential, Sequential>)
        let pam = try XCTUnwrap(streams.first.layers[0].layer.base as? any AttentionMapping)
        let cam = try XCTUnwrap(streams.second.layers[0].layer.base as? any AttentionMapping)
        let maps = net.attentionMaps(x).maps
        XCTAssertEqual(maps.map(\.map), [pam.forwardWithAttentionMap(backbone).map, cam.forwardWithAttentionMap(backbone).map])
    }

    /// Residual passes its body's names through, as its parameters do.
    func testResidualAndNestedContainersNameMapsLikeParameters() {
        var generator = SeededGenerator(seed: 16)
        let block = Residual(Sequential(named: [("gate", CBAMSpatialGate(kernelSize: 3, generator: &generator))]))
        let features = Sequential(named: [("block", block), ("pool", GlobalAvgPool2d())])
        let net = HashingNetwork(features: features, featureCount: 3, bits: 4, classes: nil, activation: .tanh,
                                 generator: &generator)
        XCTAssertEqual(net.parameters.first?.name, "features.block.gate.conv.weight")
        XCTAssertEqual(net.attentionMapNames, ["features.block.gate"])
        let x = Tensor.randomNormal([2, 3, 5, 6], generator: &generator)
        let (output, maps) = net.attentionMaps(x)
        XCTAssertEqual(output, net(x))
        XCTAssertEqual(maps.map(\.name), ["features.block.gate"])
        XCTAssertEqual(maps.first?.map.shape, [2, 5, 6])
    }

    func testNetworksWithoutAttentionReportNoMaps() {
        let x = images(1, seed: 14)
        for architecture in [Architecture.dsh, .nin, .dfeh] {
            let net = network(architecture)
            XCTAssertFalse(net.hasAttention, architecture.rawValue)
            XCTAssertEqual(net.attentionMapNames, [], architecture.rawValue)
            let (output, maps) = net.attentionMaps(x)
            XCTAssertTrue(maps.isEmpty, architecture.rawValue)
            XCTAssertEqual(output, net(x), architecture.rawValue)
        }
    }

    func testBatchedMapsEqualEachImageAlone() {
        let x = images(2, seed: 15)
        for expected in expectations {
            let net = network(expected.architecture)
            let batched = net.attentionMaps(x)
            for index in 0..<2 {
                let alone = net.attentionMaps(image(index, of: x))
                XCTAssertEqual(alone.maps.map(\.name), batched.maps.map(\.name))
                assertClose(alone.output.scalars, image(index, of: batched.output).scalars, rtol: 1e-5, atol: 1e-5,
                            "\(expected.architecture) output \(index)")
                for (one, both) in zip(alone.maps, batched.maps) {
                    XCTAssertEqual(one.map.shape, [1] + both.map.shape.dropFirst())
                    assertClose(one.image(0).values, both.image(index).values, rtol: 1e-5, atol: 1e-5,
                                "\(expected.architecture) \(one.name) image \(index)")
                }
            }
        }
    }

    func testOneImageGivesItsCodesAndTheDisplayedMap() {
        var pixels = [UInt8](repeating: 0, count: 32 * 32 * 3)
        for i in pixels.indices { pixels[i] = UInt8((i * 37 + i / 96 * 11) % 256) }
        let picture = RGBImage(width: 32, height: 32, pixels: pixels)
        let preprocessor = ImagePreprocessor(width: 32, height: 32, normalization: .cifar10)
        for architecture in [Architecture.dsh, .dah, .dath, .cbam] {
            let net = network(architecture)
            let (codes, map) = net.attentionMap(of: picture, preprocessor: preprocessor)
            XCTAssertEqual(codes, net.split(net(preprocessor.tensor(picture))).codes.scalars, architecture.rawValue)
            XCTAssertEqual(codes.count, 12)
            let expected = expectations.first { $0.architecture == architecture }
            XCTAssertEqual(map?.name, expected?.displayed, architecture.rawValue)
            if let map, let expected {
                XCTAssertEqual(map.map.shape, [1] + expected.maps.first { $0.name == expected.displayed }!.grid)
            }
            // The TUI's form: Render's heatmap only when asked for.
            let asked = net.encodeWithAttention(picture, preprocessor: preprocessor, attention: true)
            XCTAssertEqual(asked.codes, codes)
            XCTAssertEqual(asked.map, map?.image(0))
            let notAsked = net.encodeWithAttention(picture, preprocessor: preprocessor, attention: false)
            XCTAssertEqual(notAsked.codes, codes)
            XCTAssertNil(notAsked.map)
        }
    }
}
