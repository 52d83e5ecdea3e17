import Foundation

/// What is wrong with an image operation's arguments (all of them user input).
public struct ImageOperationError: Error, LocalizedError, Equatable, Sendable {
    public let operation: String
    public let reason: String

    public init(operation: String, reason: String) {
        self.operation = operation
        self.reason = reason
    }

    public var errorDescription: String? { "\(operation): \(reason)" }
}
