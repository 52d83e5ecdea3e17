import Foundation
import Networks
import TestSupport
import XCTest

/// Hashing losses against numpy references: Fixtures/losses.json, made by
/// scripts/reference_losses.py (the same formulas written independently, vectorised, in float64,
/// its gradients checked there by float64 central differences). Loss values and gradients must
/// agree within 1e-5 relative; the absolute floor of 1e-6 x the largest element covers gradient
/// elements that cancel to nearly 0.
final class HashingLossGoldenTests: XCTestCase {
    private struct TensorJSON: Decodable {
        let shape: [Int]
        let data: [Double]
        var tensor: Tensor { Tensor(shape: shape, scalars: data.map { Float($0) }) }
    }

    private struct LabelsJSON: Decodable {
        let class_ids: [Int]?
        let multi_hot: TensorJSON?
        var labels: BatchLabels {
            if let ids = class_ids { return .classIDs(ids) }
            return .multiHot(multi_hot!.tensor)
        }
    }

    private struct Case: Decodable {
        let name: String, kind: String
        let codes: TensorJSON?, logits: TensorJSON?, targets: TensorJSON?, labels: LabelsJSON?
        let bits: Int?
        let present: [Bool]?
        let margin: Float?, quantization_weight: Float?, balance_weight: Float?, classification_weight: Float?
        let loss: Double
        let gradient: TensorJSON?, logit_gradient: TensorJSON?
    }

    private struct Fixture: Decodable { let cases: [Case] }

    private static func cases() throws -> [Case] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/losses", withExtension: "json")
                                ?? Bundle.module.url(forResource: "losses", withExtension: "json", subdirectory: "Fixtures"),
                                "no Fixtures/losses.json in the test bundle")
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url)).cases
    }

    private func check(_ loss: Float, _ gradient: Tensor, _ expected: TensorJSON?, _ c: Case, _ what: String = "gradient",
                       file: StaticString = #filePath, line: UInt = #line) {
        assertClose(Double(loss), c.loss, rtol: 1e-5, "\(c.name) loss", file: file, line: line)
        guard let expected else { return XCTFail("\(c.name) has no \(what)", file: file, line: line) }
        XCTAssertEqual(gradient.shape, expected.shape, "\(c.name) \(what) shape", file: file, line: line)
        let scale = expected.data.reduce(0) { max($0, abs($1)) }
        assertClose(gradient.scalars.map(Double.init), expected.data, rtol: 1e-5, atol: 1e-6 * scale, "\(c.name) \(what)",
                    file: file, line: line)
    }

    func testAgainstNumpy() throws {
        let cases = try Self.cases()
        XCTAssertEqual(Set(cases.map(\.kind)), ["contrastive", "dfeh", "quantization", "bit_balance", "triplet", "dath", "sigmoid_ce",
                                                  "central_similarity"])
        for c in cases {
            switch c.kind {
            case "contrastive":
                let loss = PairwiseContrastiveLoss(bits: c.bits!, margin: c.margin, quantizationWeight: c.quantization_weight!)
                let (value, gradient) = loss.lossAndGradient(codes: c.codes!.tensor, labels: c.labels!.labels)
                check(value, gradient, c.gradient, c)
            case "dfeh":
                let loss = DFEHLoss(bits: c.bits!, margin: c.margin, quantizationWeight: c.quantization_weight!,
                                    balanceWeight: c.balance_weight!)
                let (value, gradient) = loss.lossAndGradient(codes: c.codes!.tensor, labels: c.labels!.labels)
                check(value, gradient, c.gradient, c)
            case "quantization":
                let (value, gradient) = QuantizationLoss.lossAndGradient(codes: c.codes!.tensor)
                check(value, gradient, c.gradient, c)
            case "bit_balance":
                let (value, gradient) = BitBalanceLoss.lossAndGradient(codes: c.codes!.tensor)
                check(value, gradient, c.gradient, c)
            case "triplet":
                let (value, gradient) = TripletLikelihoodLoss(margin: c.margin!).lossAndGradient(codes: c.codes!.tensor,
                                                                                                   labels: c.labels!.labels)
                check(value, gradient, c.gradient, c)
            case "dath":
                let loss = DATHLoss(margin: c.margin!, classificationWeight: c.classification_weight!,
                                    quantizationWeight: c.quantization_weight!)
                let result = loss.lossAndGradients(codes: c.codes!.tensor, logits: c.logits!.tensor, labels: c.labels!.labels)
                check(result.loss, result.codeGradient, c.gradient, c)
                check(result.loss, result.logitGradient, c.logit_gradient, c, "logit gradient")
            case "sigmoid_ce":
                let (value, gradient) = SigmoidCrossEntropy.lossAndGradient(logits: c.logits!.tensor, targets: c.targets!.tensor)
                check(value, gradient, c.logit_gradient, c)
            case "central_similarity":
                let loss = CentralSimilarityLoss(quantizationWeight: c.quantization_weight!)
                let (value, gradient) = loss.lossAndGradient(codes: c.codes!.tensor, targets: c.targets!.tensor.scalars,
                                                             present: c.present!)
                check(value, gradient, c.gradient, c)
            default:
                XCTFail("unknown case kind \(c.kind) in \(c.name)")
            }
        }
    }
}
