import Foundation

/// Something a user can cause when training or applying a shallow hasher: a code length the
/// features cannot give, too few training rows, features of the wrong width, or stored
/// parameters that do not fit together. LAPACK failures land here too (non-finite input is the
/// usual cause).
public enum HasherError: Error, LocalizedError, Sendable, Equatable {
    case unsupportedBits(bits: Int)
    case bitsExceedDimension(bits: Int, dimension: Int)
    case tooFewTrainingRows(rows: Int, needed: Int)
    case nonFiniteFeatures
    case dimensionMismatch(expected: Int, got: Int)
    case invalidParameters(String)
    case lapackFailed(routine: String, info: Int)

    public var errorDescription: String? {
        switch self {
        case .unsupportedBits(let bits):
            return "\(bits)-bit codes are not supported (8...1024 bits)"
        case .bitsExceedDimension(let bits, let dimension):
            return "\(bits) bits need at least \(bits)-dimensional features, these have \(dimension)"
        case .tooFewTrainingRows(let rows, let needed):
            return "training needs at least \(needed) feature rows, got \(rows)"
        case .nonFiniteFeatures:
            return "the training features hold NaN or infinite values"
        case .dimensionMismatch(let expected, let got):
            return "features have \(got) dimensions, the hasher was trained on \(expected)"
        case .invalidParameters(let message):
            return "hasher parameters: \(message)"
        case .lapackFailed(let routine, let info):
            return info < 0
                ? "LAPACK \(routine): argument \(-info) was invalid"
                : "LAPACK \(routine) did not converge (info \(info)); are the features finite?"
        }
    }
}
