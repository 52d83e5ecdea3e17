import Foundation

/// Restored optimizer state that does not fit the model or the optimizer: every problem, one
/// line each, and where the state came from (a checkpoint's path).
public struct OptimizerStateError: Error, LocalizedError, Sendable, Equatable {
    public let source: String
    public let problems: [String]

    public init(source: String, problems: [String]) {
        self.source = source
        self.problems = problems
    }

    public var errorDescription: String? {
        let count = problems.count == 1 ? "1 problem" : "\(problems.count) problems"
        return "\(source): optimizer state does not match the model (\(count)):\n"
            + problems.map { "  " + $0 }.joined(separator: "\n")
    }
}

/// Checking state read back from a checkpoint before an optimizer adopts it.
public enum OptimizerState {
    /// The key of `slot` for `parameter`: "fc.weight" + "exp_avg" -> "fc.weight.exp_avg".
    public static func key(_ parameter: String, _ slot: OptimizerSlot) -> String { parameter + "." + slot.name }

    /// `state` if it fits: empty (a run that never stepped), or for every parameter of `model`
    /// exactly the `slots`, each of the parameter's shape (scalars of shape [] or [1]); scalar
    /// step counts must be non-negative whole numbers. Otherwise every problem at once.
    public static func validated<Model: Layer>(_ state: [String: Tensor], slots: [OptimizerSlot],
                                               for model: Model, source: String) throws(OptimizerStateError) -> [String: Tensor] {
        guard !state.isEmpty else { return [:] }
        var problems: [String] = []
        var expected = Set<String>()
        var result: [String: Tensor] = [:]
        for (name, value) in model.parameters {
            for slot in slots {
                let key = key(name, slot)
                expected.insert(key)
                guard var tensor = state[key] else {
                    problems.append("\(key): missing (the state of \(name) needs \(slots.map(\.name).joined(separator: ", ")))")
                    continue
                }
                if slot.isScalar {
                    guard tensor.count == 1 else {
                        problems.append("\(key): has shape \(tensor.shape), expected a scalar")
                        continue
                    }
                    let count = tensor[flat: 0]
                    if !(count >= 0 && count.rounded() == count) {
                        problems.append("\(key): \(count) is not a step count")
                        continue
                    }
                    tensor = tensor.reshaped([])
                } else if tensor.shape != value.shape {
                    problems.append("\(key): state has \(tensor.shape), parameter \(name) is \(value.shape)")
                    continue
                }
                result[key] = tensor
            }
        }
        for key in state.keys.sorted() where !expected.contains(key) {
            problems.append("\(key): unexpected (no parameter has this slot in this optimizer)")
        }
        guard problems.isEmpty else { throw OptimizerStateError(source: source, problems: problems) }
        return result
    }
}
