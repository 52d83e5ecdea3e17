/// The `--loss` names: a training objective other than the recipe's.
public enum LossChoice: String, Sendable, CaseIterable, Codable {
    /// CSQ's hash centers (lambda 1e-4, no classification term): the recipe's loss replaced.
    case hashCenters = "hash-centers"
    /// Hash centers plus the classifier head's cross-entropy (weight 1).
    case hashCentersClassification = "hash-centers+ce"

    public var objective: HashingObjective {
        switch self {
        case .hashCenters: return .centralSimilarity(quantizationWeight: 1e-4, classificationWeight: 0)
        case .hashCentersClassification: return .centralSimilarity(quantizationWeight: 1e-4, classificationWeight: 1)
        }
    }

    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
