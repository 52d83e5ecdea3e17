import Foundation

/// What a user can cause when building or searching a float-feature index (LSH or exact
/// cosine): parameters out of range, features of the wrong width or not finite. Each is a
/// typed error rather than a crash, so a command can name the flag or file that caused it.
public enum FeatureSearchError: Error, LocalizedError, Sendable, Equatable {
    case invalidDimension(Int)
    case invalidK(Int)
    case invalidProbes(Int)
    case invalidTables(bitsPerTable: Int, tables: Int)
    case dimensionMismatch(expected: Int, got: Int)
    case nonFiniteFeature(row: Int)
    case tooManyItems(Int)
    case invalidHyperplanes(String)

    public var errorDescription: String? {
        switch self {
        case .invalidDimension(let dimension):
            return "feature dimension must be at least 1, got \(dimension)"
        case .invalidK(let k):
            return "k must be at least 1, got \(k)"
        case .invalidProbes(let probes):
            return "probes must be at least 1, got \(probes)"
        case .invalidTables(let bits, let tables):
            return "LSH needs 1...\(LSHIndex.maxBitsPerTable) bits per table and at least one table, got \(bits) bits x \(tables) tables"
        case .dimensionMismatch(let expected, let got):
            return "features have \(got) dimensions, the index holds \(expected)"
        case .nonFiniteFeature(let row):
            return "feature row \(row) holds a NaN or infinite value"
        case .tooManyItems(let count):
            return "\(count) items exceed the index's limit of \(Int32.max)"
        case .invalidHyperplanes(let message):
            return "LSH hyperplanes: \(message)"
        }
    }
}
