import Foundation

/// Why a PyTorch checkpoint could not be read. The description is one line naming the file
/// and what is wrong with it.
public struct TorchCheckpointError: Error, LocalizedError, Sendable, Equatable {
    public enum Problem: Sendable, Equatable {
        case unreadable(String)                          // the OS refused to read the file
        case notACheckpoint(String)                      // neither a zip archive nor a legacy torch pickle
        case truncated(String)
        case badArchive(String)                          // a zip whose structure is broken
        case badPickle(String)                           // a pickle inside that does not parse
        case unsupported(String)                         // a compression method, protocol, format
        case missingStorage(key: String, tensor: String)
        case unsupportedDType(storage: String, tensor: String)
        case badTensor(tensor: String, detail: String)   // sizes, strides, offset make no tensor
        case outOfBounds(tensor: String, detail: String) // reaches beyond its storage
        case noStateDict(String)
    }

    public let path: String
    public let problem: Problem

    public init(path: String, _ problem: Problem) {
        self.path = path
        self.problem = problem
    }

    /// A pickle error inside a checkpoint, keeping its byte offset and problem.
    init(path: String, pickle error: PickleError) {
        let at = error.offset.map { "byte \($0): " } ?? ""
        if case .truncated = error.problem {
            self.init(path: path, .truncated(at + error.problemDescription))
        } else if case .unreadable(let reason) = error.problem {
            self.init(path: path, .unreadable(reason))
        } else {
            self.init(path: path, .badPickle(at + error.problemDescription))
        }
    }

    public var problemDescription: String {
        switch problem {
        case .unreadable(let reason): return "cannot read file: \(reason)"
        case .notACheckpoint(let detail): return "not a PyTorch checkpoint: \(detail)"
        case .truncated(let detail): return "truncated PyTorch checkpoint: \(detail)"
        case .badArchive(let detail): return "bad PyTorch zip archive: \(detail)"
        case .badPickle(let detail): return "bad PyTorch checkpoint pickle: \(detail)"
        case .unsupported(let detail): return "unsupported PyTorch checkpoint: \(detail)"
        case .missingStorage(let key, let tensor): return "tensor \(tensor): its storage '\(key)' is missing from the file"
        case .unsupportedDType(let storage, let tensor): return "tensor \(tensor): unsupported dtype (storage class \(storage))"
        case .badTensor(let tensor, let detail): return "tensor \(tensor): \(detail)"
        case .outOfBounds(let tensor, let detail): return "tensor \(tensor) reaches beyond its storage: \(detail)"
        case .noStateDict(let detail): return "no state dict (a dict whose values are all tensors): \(detail)"
        }
    }

    public var errorDescription: String? { "\(path): \(problemDescription)" }
}
