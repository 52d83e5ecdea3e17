import Foundation
import Networks
import Basics
import TestSupport
import XCTest

/// The training loop on a tiny synthetic set: 4 classes of 32x32 images, each class its own
/// colour with seeded noise, so a few epochs of dsh visibly learn.
final class TrainingLoopTests: XCTestCase {
    private static let classes = 4, perClass = 6

    private static func image(_ index: Int) -> RGBImage {
        let c = index % classes
        var generator = SeededGenerator(seed: UInt64(1000 + index))
        let base: [Int] = [(c * 97) % 256, (c * 53 + 60) % 256, (c * 151 + 20) % 256]
        var pixels = [UInt8](repeating: 0, count: 32 * 32 * 3)
        for i in pixels.indices {
            pixels[i] = UInt8(clamping: base[i % 3] + generator.nextInt(below: 61) - 30)
        }
        return RGBImage(width: 32, height: 32, pixels: pixels)
    }

    private static func trainer(epochs: Int, seed: UInt64 = 3, optimizer: OptimizerChoice? = nil, bits: Int = 12,
                                batchNorm: Bool? = nil) -> HashingTrainer {
        let configuration = TrainingConfiguration(arch: .dsh, bits: bits, classCount: classes, epochs: epochs,
                                                  batchSize: 8, optimizer: optimizer, seed: seed, batchNorm: batchNorm)!
        return HashingTrainer(configuration: configuration, items: Array(0..<(classes * perClass)),
                              labels: { .classIDs($0.map { $0 % classes }) }, load: { image($0) })
    }

    func testLossDecreasesOnATinySet() {
        var trainer = Self.trainer(epochs: 6)
        var losses: [Double] = []
        var batches = 0
        while !trainer.isFinished {
            guard case .completed(let summary) = trainer.trainEpoch(progress: { _ in batches += 1 }) else {
                return XCTFail("nothing asked the run to stop")
            }
            losses.append(summary.loss)
            XCTAssertEqual(summary.images, Self.classes * Self.perClass)
        }
        XCTAssertEqual(batches, 6 * 3)
        XCTAssertEqual(trainer.history.count, 6)
        XCTAssertLessThan(losses.last!, 0.6 * losses.first!, "losses by epoch: \(losses)")
    }

    func testResumingFromACheckpointGivesTheUninterruptedWeights() throws {
        let scratch = try ScratchDirectory()
        var uninterrupted = Self.trainer(epochs: 3)
        while !uninterrupted.isFinished { _ = uninterrupted.trainEpoch() }

        // Stopped mid-epoch (after the 2nd batch of epoch 2) and at an epoch boundary, each
        // time through a checkpoint file and a fresh trainer, as `train --resume` does.
        var first = Self.trainer(epochs: 3)
        guard case .completed = first.trainEpoch() else { return XCTFail("epoch 1 should finish") }
        var batches = 0
        XCTAssertEqual(first.trainEpoch(shouldStop: { batches == 2 }, progress: { _ in batches += 1 }), .interrupted)
        XCTAssertEqual(first.position.epoch, 1)
        XCTAssertEqual(first.position.itemsDone, 16)
        let path = scratch.path + "/run.checkpoint"
        try first.checkpoint().save(to: path)

        var second = Self.trainer(epochs: 3)
        try second.restore(from: TrainingCheckpoint.load(path), source: path)
        XCTAssertEqual(second.position, first.position)
        guard case .completed = second.trainEpoch() else { return XCTFail("epoch 2 should finish") }
        try second.checkpoint().save(to: path)

        var third = Self.trainer(epochs: 3)
        try third.restore(from: TrainingCheckpoint.load(path), source: path)
        while !third.isFinished { _ = third.trainEpoch() }

        let expected = uninterrupted.network.stateDict, resumed = third.network.stateDict
        XCTAssertEqual(expected.map(\.name), resumed.map(\.name))
        for (a, b) in zip(expected, resumed) { XCTAssertEqual(a.value, b.value, "\(a.name) differs after resuming") }
        XCTAssertEqual(uninterrupted.optimizer.state, third.optimizer.state)
        XCTAssertEqual(uninterrupted.history.map(\.loss), third.history.map(\.loss))
    }

    func testCheckpointHoldsWeightsOptimizerStateAndPosition() throws {
        let scratch = try ScratchDirectory()
        var trainer = Self.trainer(epochs: 2)
        trainer.context = ["dataset": "folder:x", "protocol": "cifar10-full"]
        _ = trainer.trainEpoch()
        let path = scratch.path + "/one.checkpoint"
        try trainer.checkpoint().save(to: path)

        let checkpoint = try TrainingCheckpoint.load(path)
        XCTAssertEqual(checkpoint.info.configuration, trainer.configuration)
        XCTAssertEqual(checkpoint.info.position, TrainingPosition(epoch: 1))
        XCTAssertEqual(checkpoint.info.history.count, 1)
        XCTAssertEqual(checkpoint.info.context["protocol"], "cifar10-full")
        XCTAssertGreaterThan(checkpoint.info.elapsedSeconds, 0)
        let names = trainer.network.stateDict.map(\.name)
        XCTAssertEqual(checkpoint.model.map(\.name), names.sorted())
        for (name, value) in trainer.network.stateDict {
            XCTAssertEqual(checkpoint.model.first { $0.name == name }?.value, value, name)
        }
        // Adam: step count, first and second moments per parameter; 3 batches of 8 -> 3 steps.
        XCTAssertEqual(Set(checkpoint.optimizerState.keys),
                       Set(trainer.network.parameters.flatMap { ["\($0.name).step", "\($0.name).exp_avg", "\($0.name).exp_avg_sq"] }))
        XCTAssertEqual(checkpoint.optimizerState["hash.weight.step"]?[flat: 0], 3)
        // The raw file is a safetensors file with the two prefixes.
        let file = try SafetensorsFile(path: path)
        XCTAssertTrue(file.names.allSatisfy { $0.hasPrefix("model/") || $0.hasPrefix("optimizer/") })
        XCTAssertNotNil(file.metadata[TrainingCheckpoint.metadataKey])
    }

    func testACheckpointOfAnotherRunIsRefused() throws {
        let scratch = try ScratchDirectory()
        var trainer = Self.trainer(epochs: 2)
        _ = trainer.trainEpoch()
        let path = scratch.path + "/other.checkpoint"
        try trainer.checkpoint().save(to: path)
        var other = Self.trainer(epochs: 2, seed: 4, optimizer: .sgd)
        XCTAssertThrowsError(try other.restore(from: TrainingCheckpoint.load(path), source: path)) { error in
            let message = (error as? TrainingResumeError)?.errorDescription ?? ""
            XCTAssertTrue(message.contains("seed: checkpoint has 3, this run 4"), message)
            XCTAssertTrue(message.contains("optimizer: checkpoint has adam, this run sgd"), message)
        }
        XCTAssertEqual(other.position, TrainingPosition(), "a refused checkpoint changes nothing")
        var normed = Self.trainer(epochs: 2, batchNorm: true)
        XCTAssertThrowsError(try normed.restore(from: TrainingCheckpoint.load(path), source: path)) { error in
            let message = (error as? TrainingResumeError)?.errorDescription ?? ""
            XCTAssertTrue(message.contains("batch norm: checkpoint has false, this run true"), message)
        }
    }

    func testAWarmStartCopiesTheSharedTensorsAndKeepsTheOthersSeeded() throws {
        var trained = Self.trainer(epochs: 1)
        _ = trained.trainEpoch()
        let tensors = Dictionary(uniqueKeysWithValues: trained.network.stateDict.map { ($0.name, $0.value) })
        let seeded = Self.trainer(epochs: 2, bits: 16)
        var warm = seeded
        let plan = try warm.warmStart(from: tensors, source: "trained.safetensors")

        XCTAssertEqual(plan.fresh.map(\.name), ["hash.weight", "hash.bias"])
        XCTAssertEqual(plan.fresh.first?.reason, "the file has \(tensors["hash.weight"]!.shape)")
        XCTAssertEqual(plan.loaded.count + 2, warm.network.stateDict.count)
        XCTAssertTrue(plan.unused.isEmpty)
        for (name, value) in warm.network.stateDict {
            let expected = plan.loaded.contains(name) ? tensors[name] : seeded.network.parameter(name)
            XCTAssertEqual(value, expected, name)
        }
        XCTAssertNotEqual(trained.network.parameter("features.0.weight"), seeded.network.parameter("features.0.weight"),
                          "the copy must be visible: training changed the first convolution")
        XCTAssertTrue(plan.summary.hasPrefix("\(plan.loaded.count) of \(plan.loaded.count + 2) tensors loaded; initial values kept for hash.weight"),
                      plan.summary)
        // It trains on from there like any run.
        guard case .completed(let summary) = warm.trainEpoch() else { return XCTFail("nothing asked the run to stop") }
        XCTAssertTrue(summary.loss.isFinite)

        var unrelated = Self.trainer(epochs: 1)
        let renamed = Dictionary(uniqueKeysWithValues: tensors.map { ("other." + $0.key, $0.value) })
        XCTAssertThrowsError(try unrelated.warmStart(from: renamed, source: "other.safetensors")) { error in
            XCTAssertEqual((error as? WarmStartError)?.errorDescription,
                           "other.safetensors: cannot start from it: it shares no tensor (name and shape) with a dsh network")
        }
        XCTAssertEqual(unrelated.network.stateDict.map(\.value), Self.trainer(epochs: 1).network.stateDict.map(\.value),
                       "a refused file changes nothing")
    }
}
