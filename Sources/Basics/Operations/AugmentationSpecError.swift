import Foundation

/// A bad augmentation spec or sweep: names the offending term and says why, on one line,
/// e.g. `'rotate:abc': angle must be a number`.
public struct AugmentationSpecError: Error, LocalizedError, Equatable, Sendable {
    /// The term as the user wrote it (one comma-separated piece of the spec).
    public let term: String
    public let reason: String

    public init(term: String, reason: String) {
        self.term = term
        self.reason = reason
    }

    public var errorDescription: String? { "'\(term)': \(reason)" }
}
