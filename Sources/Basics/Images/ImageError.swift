import Foundation

/// Everything that can be wrong with an image a user points us at. The description is one
/// line that names the file (or the record inside a file) and the problem.
public struct ImageError: Error, LocalizedError, Equatable, Sendable {
    public enum Problem: Equatable, Sendable {
        case unreadable(String)              // the OS refused: missing, permission, a directory
        case empty
        case unknownFormat(String)           // what the first bytes look like
        case truncated(String)
        case corrupt(String)
        case unsupported(String)
        case tooLarge(width: Int, height: Int)
    }

    public let source: String
    public let problem: Problem

    public init(source: String, problem: Problem) {
        self.source = source
        self.problem = problem
    }

    public var problemDescription: String {
        switch problem {
        case .unreadable(let reason): return "cannot read file: \(reason)"
        case .empty: return "empty file (0 bytes)"
        case .unknownFormat(let start): return "not a JPEG, PNG or PPM image (starts with \(start))"
        case .truncated(let detail): return "truncated image: \(detail)"
        case .corrupt(let detail): return "corrupt image: \(detail)"
        case .unsupported(let detail): return "unsupported image: \(detail)"
        case .tooLarge(let width, let height):
            return "header declares \(width)x\(height) pixels, more than the limit of \(RGBImage.maxPixelCount) (2^28)"
        }
    }

    public var errorDescription: String? { "\(source): \(problemDescription)" }
}
