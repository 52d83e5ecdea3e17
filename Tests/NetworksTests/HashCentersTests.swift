import Networks
import Basics
import TestSupport
import XCTest

/// Hadamard matrices, the hash centers taken from them, and the central-similarity objective
/// (its loss against numpy: HashingLossGoldenTests; here its gradient and what it trains).
final class HashCentersTests: XCTestCase {
    func testHadamardRowsAreOrthogonalAtEveryConstructedOrder() throws {
        for n in [1, 2, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 56, 60, 64, 72, 80, 96, 128] {
            let h = try XCTUnwrap(HadamardMatrix.rows(order: n), "order \(n)")
            XCTAssertEqual(h.count, n)
            for i in 0..<n {
                XCTAssertEqual(h[i].count, n)
                XCTAssertTrue(h[i].allSatisfy { $0 == 1 || $0 == -1 }, "order \(n) row \(i)")
                for j in 0..<n {
                    let dot = zip(h[i], h[j]).reduce(0) { $0 + Int($1.0) * Int($1.1) }
                    XCTAssertEqual(dot, i == j ? n : 0, "order \(n) rows \(i), \(j)")
                }
            }
        }
        for n in [0, 3, 6, 10, 30] { XCTAssertNil(HadamardMatrix.rows(order: n), "no Hadamard matrix of order \(n)") }
    }

    func testCentersAreHalfTheBitsApartWhereAHadamardMatrixExists() {
        for bits in [12, 16, 24, 32, 36, 48, 64] {
            let centers = HashCenters(classes: 10, bits: bits)
            XCTAssertEqual(centers.minimumDistance, bits / 2, "\(bits) bits")
        }
        // More classes than rows: the negated rows follow, still bits / 2 from every other row.
        XCTAssertEqual(HashCenters(classes: 20, bits: 12).minimumDistance, 6)
        XCTAssertEqual(HashCenters(classes: 3, bits: 2).codes, [1, 1, 1, -1, -1, -1])
    }

    func testRandomCentersAreSeededAndSpreadWhereNoneExists() {
        let a = HashCenters(classes: 10, bits: 30), b = HashCenters(classes: 10, bits: 30)
        XCTAssertEqual(a, b, "the centers depend on (classes, bits) alone")
        XCTAssertTrue(a.codes.allSatisfy { $0 == 1 || $0 == -1 })
        XCTAssertGreaterThanOrEqual(a.minimumDistance, 8, "30 bits, 10 classes, farthest of 64 candidates each")
        XCTAssertNotEqual(HashCenters(classes: 10, bits: 30).codes, HashCenters(classes: 10, bits: 31).codes.dropLast(10))
        // 25 classes exceed 2 x 12 rows: random centers, distinct.
        let many = HashCenters(classes: 25, bits: 12)
        XCTAssertGreaterThan(many.minimumDistance, 0)
    }

    func testTargetsOfClassIDsAndMultiHotRows() {
        let centers = HashCenters(classes: 3, bits: 4)
        let ids = centers.targets(for: .classIDs([2, 0]))
        XCTAssertEqual(ids.codes, Array(centers.center(2)) + Array(centers.center(0)))
        XCTAssertEqual(ids.present, [true, true])
        // Paley's order 4 (q = 3): centers [1 1 1 1], [-1 1 1 -1], [-1 -1 1 1].
        XCTAssertEqual(centers.codes, [1, 1, 1, 1, -1, 1, 1, -1, -1, -1, 1, 1])
        // Rows {0, 1}, nothing, {1, 2}.
        let rows = Tensor(shape: [3, 3], scalars: [1, 1, 0, 0, 0, 0, 0, 1, 1])
        let multi = centers.targets(for: .multiHot(rows))
        XCTAssertEqual(multi.present, [true, false, true])
        // {0, 1}: sums [0 2 2 0] -> [tie: center 0's 1, 1, 1, tie: 1]; {1, 2}: [-2 0 2 0] -> [-1, tie: center 1's 1, 1, tie: -1].
        XCTAssertEqual(Array(multi.codes[0..<4]), [1, 1, 1, 1])
        XCTAssertEqual(Array(multi.codes[4..<8]), [0, 0, 0, 0])
        XCTAssertEqual(Array(multi.codes[8..<12]), [-1, 1, 1, -1])
    }

    func testLossGradientMatchesFiniteDifferences() {
        let h = TestTensors.normal([5, 12], seed: 41, scale: 0.6).map { tanhf($0) }
        let (targets, _) = HashCenters(classes: 4, bits: 12).targets(for: .classIDs([0, 3, 1, 1, 2]))
        let present = [true, true, false, true, true]
        let loss = CentralSimilarityLoss(quantizationWeight: 0.2)
        let (value, gradient) = loss.lossAndGradient(codes: h, targets: targets, present: present)
        XCTAssertTrue(value.isFinite && value > 0)
        let step: Float = 1e-3
        for i in 0..<h.count {
            var plus = h, minus = h
            plus[flat: i] += step
            minus[flat: i] -= step
            let numeric = (Double(loss.lossAndGradient(codes: plus, targets: targets, present: present).loss)
                - Double(loss.lossAndGradient(codes: minus, targets: targets, present: present).loss)) / Double(2 * step)
            XCTAssertEqual(Double(gradient[flat: i]), numeric, accuracy: 2e-3 * max(1, abs(numeric)), "element \(i)")
        }
        XCTAssertTrue((24..<36).allSatisfy { gradient[flat: $0] == 0 }, "the row without a target gets no gradient")
    }

    func testCodesAtPlusMinusOneStayFinite() {
        let h = Tensor(shape: [1, 4], scalars: [1, -1, 1, -1])
        let (value, gradient) = CentralSimilarityLoss().lossAndGradient(codes: h, targets: [1, 1, -1, -1], present: [true])
        XCTAssertTrue(value.isFinite, "\(value)")
        XCTAssertTrue(gradient.scalars.allSatisfy(\.isFinite), "\(gradient.scalars)")
        XCTAssertEqual(value, 50, accuracy: 1e-3, "two of four bits at the clamped log -100, mean over 4")
    }

    /// The objective's two variants on one network output: the codes' part is CSQ's alone; the
    /// logits get nothing (hash-centers) or the classifier's cross-entropy (hash-centers+ce).
    func testObjectiveJoinsCentersAndOptionalCrossEntropy() {
        let network = Architecture.dath.build(.init(bits: 12, classes: 4, seed: 1))
        let output = TestTensors.normal([5, 16], seed: 42, scale: 0.5)
        let labels = BatchLabels.classIDs([0, 3, 1, 1, 2])
        let (codes, logits) = network.split(output)
        let clippedCodes = codes.map { tanhf($0) }
        let joined = Tensor.concatenatingChannels([clippedCodes, logits!])
        let (targets, present) = HashCenters(classes: 4, bits: 12).targets(for: labels)
        let centers = CentralSimilarityLoss(quantizationWeight: 1e-4).lossAndGradient(codes: clippedCodes, targets: targets, present: present)
        let ce = ClassificationLoss.lossAndGradient(logits: logits!, labels: labels)

        let plain = LossChoice.hashCenters.objective.lossAndGradient(output: joined, network: network, labels: labels)
        XCTAssertEqual(plain.loss, centers.loss, accuracy: 1e-6)
        let (plainCodes, plainLogits) = network.split(plain.gradient)
        XCTAssertEqual(plainCodes.scalars, centers.gradient.scalars)
        XCTAssertTrue(plainLogits!.scalars.allSatisfy { $0 == 0 })

        let withCE = LossChoice.hashCentersClassification.objective.lossAndGradient(output: joined, network: network, labels: labels)
        XCTAssertEqual(withCE.loss, centers.loss + ce.loss, accuracy: 1e-5)
        let (ceCodes, ceLogits) = network.split(withCE.gradient)
        XCTAssertEqual(ceCodes.scalars, centers.gradient.scalars)
        XCTAssertEqual(ceLogits!.scalars, ce.gradient.scalars)
    }

    private static let classes = 4, perClass = 6

    private static func colourImage(_ index: Int) -> RGBImage {
        let c = index % classes
        var generator = SeededGenerator(seed: UInt64(2000 + index))
        let base = [(c * 97) % 256, (c * 53 + 60) % 256, (c * 151 + 20) % 256]
        return RGBImage(width: 32, height: 32, pixels: (0..<(32 * 32 * 3)).map {
            UInt8(clamping: base[$0 % 3] + generator.nextInt(below: 41) - 20)
        })
    }

    /// A dath network (tanh codes) trained with the hash-centers loss on four colour classes:
    /// each class's codes settle on its own center.
    func testTrainingPullsEachClassToItsCenter() {
        let classes = Self.classes, bits = 16
        let configuration = TrainingConfiguration(arch: .dath, bits: bits, classCount: classes, epochs: 30, batchSize: 8,
                                                  learningRate: 3e-3, optimizer: .adam, seed: 5, loss: .hashCenters)!
        XCTAssertEqual(configuration.classes, classes, "the objective reads its class count off the classifier head")
        let items = Array(0..<(classes * Self.perClass))
        var trainer = HashingTrainer(configuration: configuration, items: items,
                                     labels: { .classIDs($0.map { $0 % classes }) }, load: { Self.colourImage($0) })
        var losses: [Double] = []
        while !trainer.isFinished {
            guard case .completed(let summary) = trainer.trainEpoch() else { return XCTFail("nothing asked the run to stop") }
            losses.append(summary.loss)
        }
        XCTAssertLessThan(losses.last!, 0.5 * losses.first!, "losses by epoch: \(losses)")
        let centers = HashCenters(classes: classes, bits: bits)
        var network = trainer.network
        let input = trainer.preprocessor.tensor(items.map(Self.colourImage))
        let (codes, _) = network.split(network.forward(input, training: false).0)
        var wrongBits = 0
        for (row, item) in items.enumerated() {
            for (k, target) in centers.center(item % classes).enumerated() where (codes[row, k] > 0 ? 1 : -1) != target {
                wrongBits += 1
            }
        }
        XCTAssertLessThanOrEqual(wrongBits, items.count * bits / 20, "bits off their class's center, of \(items.count * bits)")
    }
}
