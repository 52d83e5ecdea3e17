import Networks
import TestSupport
import XCTest

/// Finite-difference gradient checks and edge cases of the hashing losses (DSH/DAH contrastive,
/// DFEH, DATH triplet likelihood, sigmoid cross-entropy). Golden values: HashingLossGoldenTests.
final class HashingLossTests: XCTestCase {
    private let classIDs = BatchLabels.classIDs([0, 1, 0, 2, 1, 0])
    /// Row 3 has no label; rows 0 and 4 share label 2 only; 1 and 2 share label 1.
    private let multiHot = BatchLabels.multiHot(Tensor(shape: [6, 4], scalars: [
        1, 0, 1, 0,
        0, 1, 0, 0,
        0, 1, 0, 1,
        0, 0, 0, 0,
        0, 0, 1, 1,
        1, 0, 0, 0,
    ]))

    /// Codes (N, bits) kept 0.1 away from the kinks of | |b| - 1 | at 0 and +-1.
    private func codes(_ n: Int, _ bits: Int, seed: UInt64, scale: Float = 1) -> Tensor {
        TestTensors.awayFrom([-1, 0, 1], [n, bits], seed: seed, scale: scale)
    }

    /// Squared distances of the dissimilar pairs i < j, to keep them away from the margin's kink.
    private func dissimilarDistances(_ b: Tensor, _ labels: BatchLabels) -> [Float] {
        let n = b.shape[0], bits = b.shape[1], similar = labels.similarityMatrix()
        var distances: [Float] = []
        for i in 0..<n {
            for j in (i + 1)..<n where !similar[i * n + j] {
                distances.append((0..<bits).reduce(0) { $0 + (b[i, $1] - b[j, $1]) * (b[i, $1] - b[j, $1]) })
            }
        }
        return distances
    }

    /// The data must exercise both sides of the margin and stay clear of D = m: a step h on one
    /// element moves D by at most 2 |d| h + h^2, d the largest difference of two codes' elements.
    private func assertMarginBothSides(_ b: Tensor, _ labels: BatchLabels, margin: Float, step: Float = 1e-2,
                                       file: StaticString = #filePath, line: UInt = #line) {
        let largest = b.scalars.max()! - b.scalars.min()!
        let reach = 2 * largest * step + step * step
        let distances = dissimilarDistances(b, labels)
        XCTAssert(distances.contains { $0 < margin } && distances.contains { $0 > margin },
                  "test data: margin active and inactive \(distances)", file: file, line: line)
        XCTAssert(distances.allSatisfy { abs($0 - margin) > 2 * reach }, "test data: a pair within \(2 * reach) of the margin \(distances)",
                  file: file, line: line)
    }

    // MARK: gradients

    func testContrastiveGradients() {
        let b = codes(6, 8, seed: 11)
        let loss = PairwiseContrastiveLoss(bits: 8)
        XCTAssertEqual(loss.margin, 16)
        assertMarginBothSides(b, classIDs, margin: loss.margin)
        checkLossGradient(at: b, "contrastive, class ids") { loss.lossAndGradient(codes: $0, labels: self.classIDs) }

        let multi = PairwiseContrastiveLoss(bits: 8, margin: 14, quantizationWeight: 0.3)
        assertMarginBothSides(b, multiHot, margin: multi.margin)
        checkLossGradient(at: b, "contrastive, multi-hot") { multi.lossAndGradient(codes: $0, labels: self.multiHot) }
    }

    func testRegularizerGradients() {
        let b = codes(5, 6, seed: 12, scale: 1.5)
        checkLossGradient(at: b, "quantization") { QuantizationLoss.lossAndGradient(codes: $0) }
        checkLossGradient(at: b.map { $0 + 0.3 }, "bit balance") { BitBalanceLoss.lossAndGradient(codes: $0) }
    }

    func testDFEHGradient() {
        // Codes with a mean of 0.25 (so the balance term matters), still 0.1 away from 0 and +-1.
        let b = TestTensors.awayFrom([-1.25, -0.25, 0.75], [6, 8], seed: 13).map { $0 + 0.25 }
        let loss = DFEHLoss(bits: 8, quantizationWeight: 0.05, balanceWeight: 0.5)
        assertMarginBothSides(b, classIDs, margin: loss.contrastive.margin)
        checkLossGradient(at: b, "DFEH") { loss.lossAndGradient(codes: $0, labels: self.classIDs) }
    }

    func testTripletGradients() {
        let h = codes(6, 8, seed: 14, scale: 0.8)
        let loss = TripletLikelihoodLoss()
        checkLossGradient(at: h, "triplet, class ids") { loss.lossAndGradient(codes: $0, labels: self.classIDs) }
        // A small margin puts Theta - theta on both sides of 0 (softplus far from linear).
        let small = TripletLikelihoodLoss(margin: 1)
        checkLossGradient(at: h * 2, "triplet, multi-hot") { small.lossAndGradient(codes: $0, labels: self.multiHot) }
    }

    func testDATHGradients() {
        let h = codes(6, 8, seed: 15, scale: 0.8)
        for (labels, classes, name) in [(classIDs, 3, "softmax"), (multiHot, 4, "sigmoid")] {
            let logits = TestTensors.normal([6, classes], seed: 16, scale: 2)
            let loss = DATHLoss(classificationWeight: 0.7, quantizationWeight: 0.2)
            let both = loss.lossAndGradients(codes: h, logits: logits, labels: labels)
            checkLossGradient(at: h, "DATH \(name) d/d(codes)") {
                let result = loss.lossAndGradients(codes: $0, logits: logits, labels: labels)
                return (result.loss, result.codeGradient)
            }
            checkLossGradient(at: logits, "DATH \(name) d/d(logits)") {
                let result = loss.lossAndGradients(codes: h, logits: $0, labels: labels)
                return (result.loss, result.logitGradient)
            }
            // The parts add up: L = J1 + beta CE + gamma Q.
            let parts = Double(TripletLikelihoodLoss().lossAndGradient(codes: h, labels: labels).loss)
                + 0.7 * Double(ClassificationLoss.lossAndGradient(logits: logits, labels: labels).loss)
                + 0.2 * Double(QuantizationLoss.lossAndGradient(codes: h).loss)
            assertClose(Double(both.loss), parts, rtol: 1e-6, "DATH \(name) is the weighted sum of its parts")
        }
    }

    func testSigmoidCrossEntropyGradient() {
        let logits = TestTensors.normal([4, 5], seed: 17, scale: 2)
        let targets = Tensor(shape: [4, 5], scalars: [1, 0, 0.3, 1, 0, 0, 0, 1, 1, 0, 1, 1, 0, 0, 0.5, 1, 0, 0, 1, 1])
        checkLossGradient(at: logits, "sigmoid cross-entropy") { SigmoidCrossEntropy.lossAndGradient(logits: $0, targets: targets) }
    }

    // MARK: values and edge cases

    func testContrastiveByHand() {
        // Two dissimilar 2-bit codes (margin 4): D = 0.5^2 = 0.25, pair term 1/2 (4 - 0.25);
        // Q = (0 + 0 + 0.5 + 0) / 2 images.
        let b = Tensor(shape: [2, 2], scalars: [1, 1, 0.5, 1])
        let (loss, gradient) = PairwiseContrastiveLoss(bits: 2).lossAndGradient(codes: b, labels: .classIDs([0, 1]))
        assertClose(Double(loss), 0.5 * 3.75 + 0.01 * 0.25, rtol: 1e-6)
        // d = b0 - b1 = (0.5, 0) pushed apart: -d on b0, +d on b1; quantization -0.01/2 on b1's first bit.
        assertClose(gradient.scalars, [-0.5, 0, 0.5 - 0.005, 0], rtol: 1e-6, atol: 1e-7)
        // Opposite codes at exactly the margin (D = 4 = m): the kink takes the inactive side.
        let opposite = Tensor(shape: [2, 2], scalars: [1, 1, -1, 1])
        let atMargin = PairwiseContrastiveLoss(bits: 2).lossAndGradient(codes: opposite, labels: .classIDs([0, 1]))
        XCTAssertEqual(atMargin.loss, 0)
        XCTAssertEqual(atMargin.gradient.scalars, [0, 0, 0, 0])
    }

    func testBatchWithoutDissimilarPairs() {
        // One label: only the pull term, the mean of 1/2 D over the 15 pairs, and its gradient.
        let b = codes(6, 8, seed: 18)
        let labels = BatchLabels.classIDs([4, 4, 4, 4, 4, 4])
        let loss = PairwiseContrastiveLoss(bits: 8, quantizationWeight: 0)
        let (value, gradient) = loss.lossAndGradient(codes: b, labels: labels)
        var expected = 0.0
        for i in 0..<6 {
            for j in (i + 1)..<6 { expected += (0..<8).reduce(0.0) { $0 + 0.5 * Double((b[i, $1] - b[j, $1]) * (b[i, $1] - b[j, $1])) } }
        }
        assertClose(Double(value), expected / 15, rtol: 1e-6)
        XCTAssert(gradient.scalars.allSatisfy(\.isFinite))
        checkLossGradient(at: b, "contrastive, one label") { loss.lossAndGradient(codes: $0, labels: labels) }
        checkLossGradient(at: b, "DFEH, one label") { DFEHLoss(bits: 8).lossAndGradient(codes: $0, labels: labels) }
    }

    func testBatchOfOneImage() {
        // No pair and no triplet: only the quantization term remains, and nothing divides by 0.
        let b = Tensor(shape: [1, 3], scalars: [0.5, -2, 1.5])
        let contrastive = PairwiseContrastiveLoss(bits: 3).lossAndGradient(codes: b, labels: .classIDs([0]))
        assertClose(Double(contrastive.loss), 0.01 * 2, rtol: 1e-6)
        assertClose(contrastive.gradient.scalars, [-0.01, -0.01, 0.01], rtol: 1e-6)
        let triplet = TripletLikelihoodLoss().lossAndGradient(codes: b, labels: .classIDs([0]))
        XCTAssertEqual(triplet.loss, 0)
        XCTAssertEqual(triplet.gradient.scalars, [0, 0, 0])
    }

    func testNoValidTriplet() {
        let h = codes(6, 8, seed: 19)
        let noNegative = BatchLabels.classIDs([2, 2, 2, 2, 2, 2])
        let noPositive = BatchLabels.classIDs([0, 1, 2, 3, 4, 5])
        let unlabelled = BatchLabels.multiHot(.zeros([6, 3]))
        for labels in [noNegative, noPositive, unlabelled] {
            XCTAssertEqual(TripletLikelihoodLoss.tripletCount(labels: labels), 0)
            let (loss, gradient) = TripletLikelihoodLoss().lossAndGradient(codes: h, labels: labels)
            XCTAssertEqual(loss, 0)
            XCTAssertEqual(gradient.scalars, [Float](repeating: 0, count: 48))
        }
        // DATH still trains its classifier and quantization on such a batch.
        let logits = TestTensors.normal([6, 6], seed: 20)
        let dath = DATHLoss().lossAndGradients(codes: h, logits: logits, labels: noPositive)
        let expected = Double(SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: [0, 1, 2, 3, 4, 5]).loss)
            + 0.01 * Double(QuantizationLoss.lossAndGradient(codes: h).loss)
        assertClose(Double(dath.loss), expected, rtol: 1e-6)
        assertClose(dath.codeGradient.scalars, QuantizationLoss.lossAndGradient(codes: h).gradient.scalars.map { $0 * 0.01 }, rtol: 1e-6)
    }

    func testTripletCount() {
        // Class 0 anchors: 1 positive x 4 negatives, twice; class 1: 2 x 3, three times; class 2: none.
        XCTAssertEqual(TripletLikelihoodLoss.tripletCount(labels: .classIDs([0, 0, 1, 1, 1, 2])), 2 * 4 + 3 * 6)
        // Multi-hot (see `multiHot`): similar pairs 0-4, 0-5, 1-2, 2-4; the unlabelled row 3 has
        // no positive but is a negative for every other anchor.
        let positives = [2, 1, 2, 0, 2, 1], negatives = [3, 4, 3, 5, 3, 4]
        XCTAssertEqual(TripletLikelihoodLoss.tripletCount(labels: multiHot), zip(positives, negatives).reduce(0) { $0 + $1.0 * $1.1 })
    }

    func testHugeInputsStayFinite() {
        // Logits of +-1000: each element costs exactly 0 or 1000.
        let logits = Tensor(shape: [2, 2], scalars: [1000, -1000, 1000, -1000])
        let targets = Tensor(shape: [2, 2], scalars: [1, 0, 0, 1])
        let sigmoid = SigmoidCrossEntropy.lossAndGradient(logits: logits, targets: targets)
        XCTAssertEqual(sigmoid.loss, 500)
        XCTAssertEqual(sigmoid.gradient.scalars, [0, 0, 0.25, -0.25])
        let softmax = ClassificationLoss.lossAndGradient(logits: logits, labels: .classIDs([1, 0]))
        XCTAssertEqual(softmax.loss, 1000, "rows cost 2000 and 0")
        XCTAssert(softmax.gradient.scalars.allSatisfy(\.isFinite))

        // Codes of +-100: Theta - theta is about +-40,000 (softplus linear or 0, sigmoid 1 or 0).
        let h = codes(6, 8, seed: 21) * 100
        for loss in [TripletLikelihoodLoss().lossAndGradient(codes: h, labels: classIDs),
                     PairwiseContrastiveLoss(bits: 8).lossAndGradient(codes: h, labels: classIDs),
                     DFEHLoss(bits: 8).lossAndGradient(codes: h, labels: multiHot)] {
            XCTAssert(loss.loss.isFinite && loss.gradient.scalars.allSatisfy(\.isFinite), "\(loss)")
        }
        for (labels, classes) in [(classIDs, 3), (multiHot, 4)] {
            let huge = Tensor(shape: [6, classes]) { z in for i in 0..<z.count { z[i] = i % 3 == 0 ? 1000 : -1000 } }
            let dath = DATHLoss().lossAndGradients(codes: h, logits: huge, labels: labels)
            XCTAssert(dath.loss.isFinite && dath.codeGradient.scalars.allSatisfy(\.isFinite)
                      && dath.logitGradient.scalars.allSatisfy(\.isFinite), "DATH \(dath)")
        }
    }

    func testMultiLabelRelevance() {
        // Similar = at least one shared label; an unlabelled row is similar to nothing.
        let similar = multiHot.similarityMatrix()
        let expectedPairs: Set<[Int]> = [[0, 4], [1, 2], [2, 4], [0, 5]]
        for i in 0..<6 {
            for j in 0..<6 where i != j {
                XCTAssertEqual(similar[i * 6 + j], expectedPairs.contains([min(i, j), max(i, j)]), "pair \(i), \(j)")
            }
        }
        XCTAssertFalse(similar[3 * 6 + 3], "an image without labels")

        // One-hot rows mean exactly what their class ids mean, for every loss.
        let ids = [0, 1, 0, 2, 1, 0]
        let oneHot = BatchLabels.multiHot(Tensor(shape: [6, 3]) { rows in
            for i in 0..<6 { for c in 0..<3 { rows[i * 3 + c] = ids[i] == c ? 1 : 0 } }
        })
        XCTAssertEqual(oneHot.similarityMatrix(), classIDs.similarityMatrix())
        let b = codes(6, 8, seed: 22)
        for (byIDs, byRows) in [
            (PairwiseContrastiveLoss(bits: 8).lossAndGradient(codes: b, labels: classIDs),
             PairwiseContrastiveLoss(bits: 8).lossAndGradient(codes: b, labels: oneHot)),
            (TripletLikelihoodLoss().lossAndGradient(codes: b, labels: classIDs),
             TripletLikelihoodLoss().lossAndGradient(codes: b, labels: oneHot)),
        ] {
            XCTAssertEqual(byIDs.loss, byRows.loss)
            XCTAssertEqual(byIDs.gradient, byRows.gradient)
        }
    }
}

/// Central differences of a scalar loss of one tensor input against its analytic gradient, the
/// loss-function form of GradientCheck.swift's `checkGradients` (same reasoning and defaults):
/// Float inputs stepped by h = 1e-2, the denominator taken from the Float values actually used.
/// The losses accumulate in Double and round once, so the loss carries ~6e-8 relative error,
/// ~3e-6 * |L| after division by 2h; the contrastive and quantization terms are piecewise
/// quadratic (central differences exact away from the kinks), the softplus terms smooth.
private func checkLossGradient(at input: Tensor, step: Float = 1e-2, rtol: Double = 1e-3, atol: Double = 1e-4,
                               _ label: String, file: StaticString = #filePath, line: UInt = #line,
                               _ loss: (Tensor) -> (loss: Float, gradient: Tensor)) {
    let (value, gradient) = loss(input)
    XCTAssert(value.isFinite, "\(label) loss \(value)", file: file, line: line)
    XCTAssertEqual(gradient.shape, input.shape, "\(label) gradient shape", file: file, line: line)
    let numeric = (0..<input.count).map { i -> Double in
        var plus = input, minus = input
        plus[flat: i] = input[flat: i] + step
        minus[flat: i] = input[flat: i] - step
        return (Double(loss(plus).loss) - Double(loss(minus).loss)) / (Double(plus[flat: i]) - Double(minus[flat: i]))
    }
    let scale = max(1, numeric.reduce(0) { max($0, abs($1)) })
    assertClose(gradient.scalars.map(Double.init), numeric, rtol: rtol, atol: atol * scale, label, file: file, line: line)
}
