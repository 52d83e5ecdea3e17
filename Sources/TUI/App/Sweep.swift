/// A robustness sweep of one query (`s`): P@n as one transform grows.
public enum SweepKind: String, Hashable, Sendable, CaseIterable {
    case rotation, crop

    /// The strengths swept: 0-90 degrees in 15s, or 100%-50% of each side kept.
    public var strengths: [Double] {
        switch self {
        case .rotation: return stride(from: 0.0, through: 90, by: 15).map { $0 }
        case .crop: return [1, 0.9, 0.8, 0.7, 0.6, 0.5]
        }
    }

    /// One strength as a label under the plot ("45", "70%").
    public func label(_ strength: Double) -> String {
        switch self {
        case .rotation: return "\(Int(strength))"
        case .crop: return "\(Int((strength * 100).rounded()))%"
        }
    }
}

public struct SweepPoint: Hashable, Sendable {
    public var strength: Double
    /// P@n of the query bent this much (on top of its other adjustments).
    public var precision: Double

    public init(strength: Double, precision: Double) {
        self.strength = strength
        self.precision = precision
    }
}

public struct SweepResult: Hashable, Sendable {
    public var kind: SweepKind
    public var top: Int
    public var points: [SweepPoint]

    public init(kind: SweepKind, top: Int, points: [SweepPoint]) {
        self.kind = kind
        self.top = top
        self.points = points
    }
}
