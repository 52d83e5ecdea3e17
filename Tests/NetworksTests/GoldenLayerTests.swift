import Foundation
import Networks
import TestSupport
import XCTest

/// Layer outputs against numpy references: Fixtures/layers.json, made by scripts/reference_layers.py.
final class GoldenLayerTests: XCTestCase {
    private struct TensorJSON: Decodable {
        let shape: [Int]
        let data: [Double]
        var tensor: Tensor { Tensor(shape: shape, scalars: data.map { Float($0) }) }
    }

    private struct ConvCase: Decodable {
        let name: String
        let input: TensorJSON, weight: TensorJSON, bias: TensorJSON?, output: TensorJSON
        let stride: [Int], padding: [Int], groups: Int
    }

    private struct BatchNormCase: Decodable {
        let name: String
        let input: TensorJSON, weight: TensorJSON, bias: TensorJSON
        let running_mean: TensorJSON, running_var: TensorJSON
        let eps: Float, momentum: Float
        let output: TensorJSON, new_running_mean: TensorJSON, new_running_var: TensorJSON, eval_output: TensorJSON
    }

    private struct PoolingCase: Decodable {
        let name: String
        let input: TensorJSON, kernel: [Int], stride: [Int], padding: [Int]
        let max: TensorJSON, avg_include_pad: TensorJSON, avg_exclude_pad: TensorJSON
    }

    private struct LinearCase: Decodable {
        let name: String
        let input: TensorJSON, weight: TensorJSON, bias: TensorJSON?, output: TensorJSON
    }

    private struct Fixture: Decodable {
        let conv2d: [ConvCase]
        let batchnorm_train: [BatchNormCase]
        let pooling: [PoolingCase]
        let linear: [LinearCase]
    }

    private static func fixture() throws -> Fixture {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/layers", withExtension: "json")
                                ?? Bundle.module.url(forResource: "layers", withExtension: "json", subdirectory: "Fixtures"),
                                "no Fixtures/layers.json in the test bundle")
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    private func padding(_ p: [Int]) -> Padding { Padding(top: p[0], bottom: p[1], left: p[2], right: p[3]) }

    private func check(_ actual: Tensor, _ expected: TensorJSON, _ name: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.shape, expected.shape, "\(name) shape", file: file, line: line)
        assertClose(actual.scalars.map(Double.init), expected.data, rtol: 1e-5, atol: 1e-5, name, file: file, line: line)
    }

    func testConvolutions() throws {
        let cases = try Self.fixture().conv2d
        XCTAssertEqual(cases.count, 9)
        for c in cases {
            let layer = Conv2d(weight: c.weight.tensor, bias: c.bias?.tensor, strideHeight: c.stride[0], strideWidth: c.stride[1],
                               padding: padding(c.padding), groups: c.groups)
            check(layer(c.input.tensor), c.output, "conv \(c.name)")
        }
    }

    func testBatchNormTrainingAndEvaluation() throws {
        for c in try Self.fixture().batchnorm_train {
            func load<L: Layer>(_ layer: inout L) {
                layer.setParameter("weight", to: c.weight.tensor)
                layer.setParameter("bias", to: c.bias.tensor)
                layer.setParameter("running_mean", to: c.running_mean.tensor)
                layer.setParameter("running_var", to: c.running_var.tensor)
            }
            let features = c.weight.shape[0]
            if c.input.shape.count == 4 {
                var layer = BatchNorm2d(numFeatures: features, eps: c.eps, momentum: c.momentum)
                load(&layer)
                check(layer(c.input.tensor), c.eval_output, "\(c.name) eval")
                check(layer.forward(c.input.tensor, training: true).output, c.output, "\(c.name) train")
                check(layer.parameter("running_mean")!, c.new_running_mean, "\(c.name) running_mean")
                check(layer.parameter("running_var")!, c.new_running_var, "\(c.name) running_var")
            } else {
                var layer = BatchNorm1d(numFeatures: features, eps: c.eps, momentum: c.momentum)
                load(&layer)
                check(layer(c.input.tensor), c.eval_output, "\(c.name) eval")
                check(layer.forward(c.input.tensor, training: true).output, c.output, "\(c.name) train")
                check(layer.parameter("running_mean")!, c.new_running_mean, "\(c.name) running_mean")
                check(layer.parameter("running_var")!, c.new_running_var, "\(c.name) running_var")
            }
        }
    }

    func testPooling() throws {
        for c in try Self.fixture().pooling {
            let window = PoolingWindow(kernelHeight: c.kernel[0], kernelWidth: c.kernel[1], strideHeight: c.stride[0],
                                       strideWidth: c.stride[1], padding: padding(c.padding))
            check(MaxPool2d(window: window)(c.input.tensor), c.max, "maxpool \(c.name)")
            check(AvgPool2d(window: window)(c.input.tensor), c.avg_include_pad, "avgpool \(c.name)")
            check(AvgPool2d(window: window, countIncludePadding: false)(c.input.tensor), c.avg_exclude_pad, "avgpool excl. \(c.name)")
        }
    }

    func testLinear() throws {
        for c in try Self.fixture().linear {
            check(Linear(weight: c.weight.tensor, bias: c.bias?.tensor)(c.input.tensor), c.output, "linear \(c.name)")
        }
    }
}
