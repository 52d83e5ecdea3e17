import Foundation

/// A run that starts from another trained model's weights instead of the seeded initial ones:
/// every tensor whose name and shape the new network shares is copied in, the rest (a hash
/// layer of another code length, a classifier over other classes) keep their seeded values.
/// The optimizer state and the schedule start fresh.
public struct WarmStart: Sendable {
    /// Names copied from the file, in the network's order.
    public var loaded: [String]
    /// The network's names left at their initial values, each with why ("not in the file",
    /// "the file has [48, 128]").
    public var fresh: [(name: String, reason: String)]
    /// The file's names the network does not have.
    public var unused: [String]

    /// What `tensors` would give `network`, without changing it.
    public static func plan<Model: Layer>(_ tensors: [String: Tensor], into network: Model) -> WarmStart {
        var plan = WarmStart(loaded: [], fresh: [], unused: [])
        var known = Set<String>()
        for (name, value) in network.stateDict {
            known.insert(name)
            guard let stored = tensors[name] else { plan.fresh.append((name, "not in the file")); continue }
            if stored.shape == value.shape { plan.loaded.append(name) } else { plan.fresh.append((name, "the file has \(stored.shape)")) }
        }
        plan.unused = tensors.keys.filter { !known.contains($0) && !ModelFile.isBatchCounter($0) }.sorted()
        return plan
    }

    /// One line for the log: how many tensors came from the file and which did not.
    public var summary: String {
        let total = loaded.count + fresh.count
        var line = "\(loaded.count) of \(total) tensors loaded"
        if !fresh.isEmpty { line += "; initial values kept for " + fresh.map { "\($0.name) (\($0.reason))" }.joined(separator: ", ") }
        if !unused.isEmpty { line += "; unused from the file: " + unused.joined(separator: ", ") }
        return line
    }
}

/// A warm-start file that cannot seed this run.
public struct WarmStartError: Error, LocalizedError, Sendable, Equatable {
    public let source: String
    public let problem: String
    public var errorDescription: String? { "\(source): cannot start from it: \(problem)" }
}

extension HashingTrainer {
    /// Replaces the network's shared tensors by those of `tensors` (read from `source`), before
    /// the first step. A file sharing no tensor with the network is refused.
    @discardableResult
    public mutating func warmStart(from tensors: [String: Tensor], source: String) throws(WarmStartError) -> WarmStart {
        precondition(position == TrainingPosition() && history.isEmpty, "a warm start replaces the initial weights only")
        let plan = WarmStart.plan(tensors, into: network)
        guard !plan.loaded.isEmpty else {
            throw WarmStartError(source: source, problem: "it shares no tensor (name and shape) with a \(configuration.arch.rawValue) network")
        }
        for name in plan.loaded { network.setParameter(name, to: tensors[name]!) }
        return plan
    }
}
