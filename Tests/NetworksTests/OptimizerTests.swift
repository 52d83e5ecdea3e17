import Basics
import Foundation
import Networks
import TestSupport
import XCTest

/// Named parameters and settable gradients, nothing else: what an optimizer sees of a model.
private struct NamedParameters: Layer {
    var names: [String], values: [Tensor], gradients: [Tensor]

    init(_ named: [(String, Tensor)]) {
        names = named.map(\.0)
        values = named.map(\.1)
        gradients = values.map { .zeros(like: $0) }
    }

    func forward(_ input: Tensor, training: Bool) -> (output: Tensor, cache: Void) { (input, ()) }
    func backward(_ gradOutput: Tensor, cache: Void) -> Tensor { gradOutput }

    mutating func visitParameters(_ visit: (String, inout Tensor, inout Tensor) -> Void) {
        for i in names.indices { visit(names[i], &values[i], &gradients[i]) }
    }

    subscript(name: String) -> Tensor {
        guard let index = names.firstIndex(of: name) else { preconditionFailure("no parameter \(name)") }
        return values[index]
    }
}

/// Optimizer trajectories and schedules against Fixtures/optimizers.json, made by
/// scripts/reference_optimizers.py (numpy, float64, from PyTorch's documented update rules).
final class OptimizerTests: XCTestCase {
    private struct TensorJSON: Decodable {
        let shape: [Int]
        let data: [Double]
        var tensor: Tensor { Tensor(shape: shape, scalars: data.map { Float($0) }) }
    }

    private struct Options: Decodable {
        let momentum: Double?, dampening: Double?, weight_decay: Double?, nesterov: Bool?
        let betas: [Double]?, eps: Double?, alpha: Double?, centered: Bool?
    }

    private struct Case: Decodable {
        let name: String, optimizer: String, options: Options, lrs: [Double]
        let params: [String: TensorJSON]
        let grads: [[String: TensorJSON]]
        let trajectory: [[String: TensorJSON]]
        let state: [String: TensorJSON]
    }

    private struct Decay: Decodable {
        let kind: String, step_size: Int?, gamma: Double?, t_max: Int?, eta_min: Double?
    }

    private struct Schedule: Decodable {
        let name: String, base_lr: Double, decay: Decay, warmup_epochs: Double, warmup_start_factor: Double, lrs: [Double]
    }

    private struct Fixture: Decodable {
        let cases: [Case]
        let schedules: [Schedule]
    }

    private static func fixture() throws -> Fixture {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/optimizers", withExtension: "json")
                                ?? Bundle.module.url(forResource: "optimizers", withExtension: "json", subdirectory: "Fixtures"),
                                "no Fixtures/optimizers.json in the test bundle")
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    private func optimizer(for testCase: Case) throws -> any Optimizer {
        let o = testCase.options
        switch testCase.optimizer {
        case "sgd":
            return SGD(learningRate: testCase.lrs[0], momentum: o.momentum ?? 0, dampening: o.dampening ?? 0,
                       weightDecay: o.weight_decay ?? 0, nesterov: o.nesterov ?? false)
        case "adam", "adamw":
            let betas = o.betas ?? [0.9, 0.999]
            return Adam(learningRate: testCase.lrs[0], beta1: betas[0], beta2: betas[1], epsilon: o.eps ?? 1e-8,
                        weightDecay: o.weight_decay ?? 0, decoupledWeightDecay: testCase.optimizer == "adamw")
        case "rmsprop":
            return RMSProp(learningRate: testCase.lrs[0], alpha: o.alpha ?? 0.99, epsilon: o.eps ?? 1e-8,
                           weightDecay: o.weight_decay ?? 0, momentum: o.momentum ?? 0, centered: o.centered ?? false)
        default:
            throw XCTSkip("unknown optimizer \(testCase.optimizer) in the fixture")
        }
    }

    private func schedule(_ s: Schedule) -> LearningRateSchedule {
        let decay: LearningRateSchedule.Decay
        switch s.decay.kind {
        case "step": decay = .step(every: s.decay.step_size ?? 1, gamma: s.decay.gamma ?? 1)
        case "cosine": decay = .cosine(epochs: s.decay.t_max ?? 1, minimum: s.decay.eta_min ?? 0)
        default: decay = .constant
        }
        return LearningRateSchedule(base: s.base_lr, decay: decay, warmupEpochs: s.warmup_epochs,
                                    warmupStartFactor: s.warmup_start_factor)
    }

    // MARK: golden trajectories

    func testTrajectoriesMatchTheReference() throws {
        let fixture = try Self.fixture()
        XCTAssertEqual(Set(fixture.cases.map(\.optimizer)), ["sgd", "adam", "adamw", "rmsprop"])
        for testCase in fixture.cases {
            var optimizer = try optimizer(for: testCase)
            XCTAssertEqual(optimizer.kind, testCase.optimizer, testCase.name)
            var model = NamedParameters(testCase.params.sorted { $0.key < $1.key }.map { ($0.key, $0.value.tensor) })
            for (step, gradients) in testCase.grads.enumerated() {
                for (name, gradient) in gradients { model.setGradient(name, to: gradient.tensor) }
                optimizer.learningRate = testCase.lrs[step]
                optimizer.step(&model)
                for (name, expected) in testCase.trajectory[step] {
                    assertClose(model[name].scalars.map(Double.init), expected.data, rtol: 1e-6,
                                "\(testCase.name) step \(step + 1) \(name)")
                }
            }
            XCTAssertEqual(Set(optimizer.state.keys), Set(testCase.state.keys), "\(testCase.name) state names")
            for (key, expected) in testCase.state {
                let actual = try XCTUnwrap(optimizer.state[key], "\(testCase.name) \(key)")
                XCTAssertEqual(actual.shape, expected.shape, "\(testCase.name) \(key)")
                // Buffers are sums of signed terms that can cancel to far below the terms' size;
                // Float32 keeps the terms to ~1e-7 relative, so the floor scales with the tensor.
                let scale = expected.data.reduce(1.0) { max($0, abs($1)) }
                assertClose(actual.scalars.map(Double.init), expected.data, rtol: 1e-6, atol: 1e-6 * scale, "\(testCase.name) \(key)")
            }
        }
    }

    func testSchedulesMatchPyTorchsRecursiveRules() throws {
        let fixture = try Self.fixture()
        XCTAssertGreaterThanOrEqual(fixture.schedules.count, 5)
        for s in fixture.schedules {
            let lrSchedule = schedule(s)
            let actual = s.lrs.indices.map { lrSchedule.learningRate(atEpoch: $0) }
            assertClose(actual, s.lrs, rtol: 1e-9, atol: 1e-15, s.name)
        }
    }

    func testCosineStaysAtItsMinimumAndEpochsMayBeFractional() {
        let cosine = LearningRateSchedule(base: 0.1, decay: .cosine(epochs: 10, minimum: 0.001))
        XCTAssertEqual(cosine.learningRate(atEpoch: 10), 0.001, accuracy: 1e-15)
        XCTAssertEqual(cosine.learningRate(atEpoch: 25), 0.001, accuracy: 1e-15)
        XCTAssertEqual(cosine.learningRate(atEpoch: 5.0), 0.0505, accuracy: 1e-15)
        let warm = LearningRateSchedule(base: 0.2, decay: .step(every: 2, gamma: 0.5), warmupEpochs: 1, warmupStartFactor: 0.5)
        XCTAssertEqual(warm.learningRate(atEpoch: 0.5), 0.15, accuracy: 1e-15, "half-way through warmup")
        XCTAssertEqual(warm.learningRate(atEpoch: 2.9), 0.2, accuracy: 1e-15)
        XCTAssertEqual(warm.learningRate(atEpoch: 3), 0.1, accuracy: 1e-15)
        var sgd = SGD(learningRate: 1)
        warm.apply(to: &sgd, epoch: 3)
        XCTAssertEqual(sgd.learningRate, 0.1, accuracy: 1e-15)
    }

    // MARK: checkpointing

    /// Fixed pseudo-random gradients for step `step`, the same in every run.
    private func gradients(_ model: inout NamedParameters, step: Int) {
        var generator = SeededGenerator(seed: UInt64(100 + step))
        for (i, name) in model.names.enumerated() {
            model.setGradient(name, to: Tensor.randomNormal(model.values[i].shape, generator: &generator))
        }
    }

    private func freshModel() -> NamedParameters {
        var generator = SeededGenerator(seed: 1)
        return NamedParameters([("conv.weight", Tensor.randomNormal([4, 2, 3, 3], generator: &generator)),
                           ("conv.bias", Tensor.randomNormal([4], generator: &generator)),
                           ("fc.weight", Tensor.randomNormal([3, 4], generator: &generator))])
    }

    private func checkResumesIdentically<O: Optimizer>(_ make: () -> O, file: StaticString = #filePath, line: UInt = #line) throws {
        // Six steps in one go.
        var straight = freshModel(), once = make()
        for step in 0..<6 { gradients(&straight, step: step); once.step(&straight) }

        // Three steps, a checkpoint file holding weights and optimizer state, then three more
        // steps in a "new process" that reads only the file.
        var first = freshModel(), before = make()
        for step in 0..<3 { gradients(&first, step: step); before.step(&first) }
        XCTAssertFalse(before.state.isEmpty, file: file, line: line)
        let scratch = try ScratchDirectory()
        let path = scratch.path + "/checkpoint.safetensors"
        try ModelFile.save(stateDict: first.stateDict + before.state.map { ("optimizer." + $0.key, $0.value) },
                           metadata: ["optimizer": before.kind], to: path)

        let (tensors, metadata) = try ModelFile.load(path)
        XCTAssertEqual(metadata["optimizer"], once.kind, file: file, line: line)
        var resumed = freshModel()
        try ModelFile.load(path, into: &resumed, ignoring: { $0.hasPrefix("optimizer.") })
        var after = make()
        let state = Dictionary(uniqueKeysWithValues: tensors.filter { $0.key.hasPrefix("optimizer.") }
            .map { (String($0.key.dropFirst("optimizer.".count)), $0.value) })
        try after.restoreState(state, for: resumed, source: path)
        for step in 3..<6 { gradients(&resumed, step: step); after.step(&resumed) }

        XCTAssertEqual(resumed.values, straight.values, "\(once.kind): resumed weights differ", file: file, line: line)
        XCTAssertEqual(after.state, once.state, "\(once.kind): resumed state differs", file: file, line: line)
    }

    func testStateSaveAndRestoreResumesIdentically() throws {
        try checkResumesIdentically { SGD(learningRate: 0.05, momentum: 0.9, weightDecay: 1e-3, nesterov: true) }
        try checkResumesIdentically { SGD(learningRate: 0.05, momentum: 0.9, dampening: 0.2) }
        try checkResumesIdentically { Adam(learningRate: 1e-2, weightDecay: 1e-3) }
        try checkResumesIdentically { Adam.adamW(learningRate: 1e-2) }
        try checkResumesIdentically { RMSProp(learningRate: 1e-3, momentum: 0.9, centered: true) }
        // Plain SGD has no state: an empty dictionary restores fine.
        var sgd = SGD(learningRate: 0.1)
        XCTAssertTrue(sgd.slots.isEmpty)
        XCTAssertNoThrow(try sgd.restoreState([:], for: freshModel()))
    }

    func testRestoringStateThatDoesNotFitListsEveryProblem() throws {
        var model = freshModel()
        var adam = Adam()
        gradients(&model, step: 0)
        adam.step(&model)
        var state = adam.state
        state["conv.bias.exp_avg"] = nil
        state["fc.weight.exp_avg_sq"] = Tensor.zeros([4, 3])
        state["conv.weight.step"] = Tensor(shape: [], scalars: [1.5])
        state["fc.weight.momentum_buffer"] = Tensor.zeros([3, 4])
        var fresh = Adam()
        XCTAssertThrowsError(try fresh.restoreState(state, for: model, source: "ckpt.safetensors")) { error in
            guard let error = error as? OptimizerStateError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.problems, [
                "conv.weight.step: 1.5 is not a step count",
                "conv.bias.exp_avg: missing (the state of conv.bias needs step, exp_avg, exp_avg_sq)",
                "fc.weight.exp_avg_sq: state has [4, 3], parameter fc.weight is [3, 4]",
                "fc.weight.momentum_buffer: unexpected (no parameter has this slot in this optimizer)",
            ])
            XCTAssertTrue(error.localizedDescription.hasPrefix("ckpt.safetensors: optimizer state does not match the model (4 problems):\n"))
        }
        XCTAssertTrue(fresh.state.isEmpty, "nothing restored when anything is wrong")
        // Step counts stored as [1] (as some writers store scalars) are accepted.
        var scalarState = adam.state
        scalarState["fc.weight.step"] = Tensor(shape: [1], scalars: [1])
        XCTAssertNoThrow(try fresh.restoreState(scalarState, for: model))
        XCTAssertEqual(fresh.state["fc.weight.step"]?.shape, [])
    }

    // MARK: convergence

    /// f(p) = 1/2 sum a_i (p_i - c_i)^2: every optimizer must reach the bottom of the bowl.
    private func descend<O: Optimizer>(_ optimizer: O, steps: Int, schedule: LearningRateSchedule? = nil) -> Float {
        var optimizer = optimizer
        let curvature = Tensor(shape: [2, 3], scalars: [1, 4, 0.5, 2, 8, 1])
        let center = Tensor(shape: [2, 3], scalars: [3, -1, 0.5, -2, 1, 4])
        var model = NamedParameters([("w", Tensor.zeros([2, 3]))])
        for step in 0..<steps {
            if let schedule { schedule.apply(to: &optimizer, epoch: Double(step) / 10) }
            model.setGradient("w", to: curvature * (model["w"] - center))
            optimizer.step(&model)
        }
        return (model["w"] - center).maxAbs()
    }

    func testEveryOptimizerConvergesOnAQuadraticBowl() {
        XCTAssertLessThan(descend(SGD(learningRate: 0.1), steps: 300), 1e-4)
        XCTAssertLessThan(descend(SGD(learningRate: 0.05, momentum: 0.9), steps: 300), 1e-4)
        XCTAssertLessThan(descend(SGD(learningRate: 0.05, momentum: 0.9, nesterov: true), steps: 300), 1e-4)
        let annealed = LearningRateSchedule(base: 0.1, decay: .cosine(epochs: 60, minimum: 0), warmupEpochs: 2)
        XCTAssertLessThan(descend(Adam(learningRate: 0.1), steps: 700, schedule: annealed), 1e-3)
        XCTAssertLessThan(descend(RMSProp(learningRate: 0.05), steps: 700, schedule: annealed), 1e-3)
        XCTAssertLessThan(descend(RMSProp(learningRate: 0.01, momentum: 0.5, centered: true), steps: 700, schedule: annealed), 1e-3)
        // With weight decay the optimum moves toward zero; without decay it is the center.
        XCTAssertGreaterThan(descend(Adam.adamW(learningRate: 0.1, weightDecay: 0.5), steps: 700, schedule: annealed), 1e-2)
    }
}
