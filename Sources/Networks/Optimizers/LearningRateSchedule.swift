import Foundation

/// The learning rate as a function of the epoch: an optional linear warmup, then a decay.
///
/// Closed forms of PyTorch's schedulers, so a resumed run needs only its epoch number:
/// - `.step(every: N, gamma: g)`: StepLR, base * g^floor(e / N).
/// - `.cosine(epochs: T, minimum: m)`: CosineAnnealingLR, m + (base - m) * (1 + cos(pi e / T)) / 2.
///   Past T it stays at m (PyTorch's would climb back up; training past T is a slip, not a plan).
/// - warmup over W epochs from factor f: LinearLR(start_factor: f, total_iters: W) chained by
///   SequentialLR(milestones: [W]), so at epoch e >= W the decay sees epoch e - W.
/// The epoch may be fractional (epoch + batch / batches) to change the rate every batch.
public struct LearningRateSchedule: Sendable, Equatable {
    public enum Decay: Sendable, Equatable {
        case constant
        case step(every: Int, gamma: Double)
        case cosine(epochs: Int, minimum: Double)
    }

    public var base: Double
    public var decay: Decay
    public var warmupEpochs: Double
    public var warmupStartFactor: Double

    public init(base: Double, decay: Decay = .constant, warmupEpochs: Double = 0, warmupStartFactor: Double = 0.1) {
        precondition(base >= 0, "learning rate must be >= 0, got \(base)")
        precondition(warmupEpochs >= 0, "warmup must be >= 0 epochs, got \(warmupEpochs)")
        precondition(warmupStartFactor > 0 && warmupStartFactor <= 1, "warmup start factor must be in (0, 1], got \(warmupStartFactor)")
        switch decay {
        case .constant: break
        case .step(let every, let gamma):
            precondition(every > 0 && gamma > 0, "step decay needs every > 0 and gamma > 0")
        case .cosine(let epochs, let minimum):
            precondition(epochs > 0 && minimum >= 0, "cosine decay needs epochs > 0 and minimum >= 0")
        }
        self.base = base
        self.decay = decay
        self.warmupEpochs = warmupEpochs
        self.warmupStartFactor = warmupStartFactor
    }

    /// The learning rate during `epoch` (0-based).
    public func learningRate(atEpoch epoch: Double) -> Double {
        precondition(epoch >= 0, "epoch must be >= 0, got \(epoch)")
        if epoch < warmupEpochs {
            return base * (warmupStartFactor + (1 - warmupStartFactor) * epoch / warmupEpochs)
        }
        let e = epoch - warmupEpochs
        switch decay {
        case .constant:
            return base
        case .step(let every, let gamma):
            return base * pow(gamma, (e / Double(every)).rounded(.down))
        case .cosine(let epochs, let minimum):
            let t = min(e, Double(epochs))
            return minimum + (base - minimum) * (1 + cos(Double.pi * t / Double(epochs))) / 2
        }
    }

    /// The learning rate during whole epoch `epoch`.
    public func learningRate(atEpoch epoch: Int) -> Double { learningRate(atEpoch: Double(epoch)) }

    /// Sets `optimizer`'s learning rate for `epoch`.
    public func apply<O: Optimizer>(to optimizer: inout O, epoch: Double) {
        optimizer.learningRate = learningRate(atEpoch: epoch)
    }
}
