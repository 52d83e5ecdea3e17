/// The `--optimizer` names and the settings each gets from the command line.
public enum OptimizerChoice: String, Sendable, CaseIterable, Codable {
    case sgd, adam, rmsprop

    /// A fresh optimizer at `learningRate`. SGD uses momentum 0.9 and weight decay 5e-4 (the
    /// CIFAR recipes' usual pair); Adam and RMSProp PyTorch's defaults (no decay).
    public func make(learningRate: Double) -> any Optimizer {
        switch self {
        case .sgd: return SGD(learningRate: learningRate, momentum: 0.9, weightDecay: 5e-4)
        case .adam: return Adam(learningRate: learningRate)
        case .rmsprop: return RMSProp(learningRate: learningRate)
        }
    }

    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
