import Foundation

/// Something a user caused while a model, gallery or query was being opened: one line that
/// names the file and the problem. Commands print it and exit 2; the TUI shows it in the status bar.
public struct ServiceError: Error, LocalizedError, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var errorDescription: String? { message }
}
