import Foundation

/// Why a model file (safetensors) could not be read, written or loaded into a model. Every
/// message starts with the file's path and says what is wrong in terms a user can act on.
public struct ModelFileError: Error, LocalizedError, Sendable, Equatable {
    public enum Problem: Sendable, Equatable {
        case unreadable(reason: String)
        case unwritable(reason: String)
        /// Shorter than the 8-byte header length.
        case tooShort(fileSize: Int)
        /// The declared header length is over the format's 100 MB limit.
        case headerTooLarge(declared: UInt64)
        /// The declared header length runs past the end of the file.
        case headerBeyondFile(declared: UInt64, fileSize: Int)
        case headerNotUTF8
        case headerNotJSON(detail: String)
        /// Valid JSON, but not the shape of a safetensors header.
        case headerInvalid(detail: String)
        case unknownDType(tensor: String, dtype: String)
        /// data_offsets with end before begin, or past the end of the data.
        case offsetsOutsideBuffer(tensor: String, begin: Int, end: Int, bufferSize: Int)
        /// shape x dtype size differs from the byte span data_offsets give.
        case sizeMismatch(tensor: String, dtype: SafetensorsDType, shape: [Int], byteCount: Int)
        /// Two tensors share bytes.
        case overlap(tensor: String, previous: String)
        /// Bytes between two tensors (or before the first) belong to no tensor.
        case gap(before: String, begin: Int, end: Int)
        /// Bytes after the last tensor.
        case trailingBytes(count: Int)
        case tensorNotFound(name: String)
        case notConvertible(tensor: String, dtype: SafetensorsDType)
        case metadataInvalid(detail: String)
        /// The file's tensors do not fit the model: one line per problem.
        case modelMismatch(problems: [String])
        /// The file holds exactly the tensors of another network (`holds`) than the one
        /// expected (EfficientNet-Lite0's weights given as Lite1's).
        case otherNetwork(holds: String, expected: String)
    }

    public let path: String
    public let problem: Problem

    public init(path: String, _ problem: Problem) {
        self.path = path
        self.problem = problem
    }

    public var errorDescription: String? { "\(path): \(reason)" }

    /// The message without the path.
    public var reason: String {
        switch problem {
        case .unreadable(let reason): return "cannot read model file: \(reason)"
        case .unwritable(let reason): return "cannot write model file: \(reason)"
        case .tooShort(let size):
            return "not a safetensors file: \(size) bytes, shorter than the 8-byte header length"
        case .headerTooLarge(let declared):
            return "not a safetensors file: header length \(declared) is over the 100 MB limit"
        case .headerBeyondFile(let declared, let size):
            return "safetensors header length \(declared) runs past the end of the file (\(size) bytes; truncated?)"
        case .headerNotUTF8: return "safetensors header is not UTF-8 text"
        case .headerNotJSON(let detail): return "safetensors header is not valid JSON: \(detail)"
        case .headerInvalid(let detail): return "invalid safetensors header: \(detail)"
        case .unknownDType(let tensor, let dtype):
            return "tensor \(tensor) has unknown dtype \"\(dtype)\" (known: \(SafetensorsDType.allCases.map(\.rawValue).joined(separator: ", ")))"
        case .offsetsOutsideBuffer(let tensor, let begin, let end, let bufferSize):
            if end < begin { return "tensor \(tensor) has data_offsets [\(begin), \(end)]: end before begin" }
            return "tensor \(tensor) has data_offsets [\(begin), \(end)] past the end of the data (\(bufferSize) bytes; truncated?)"
        case .sizeMismatch(let tensor, let dtype, let shape, let byteCount):
            return "tensor \(tensor): shape \(shape) of \(dtype.rawValue) needs \(Self.byteCount(shape, dtype)) bytes, data_offsets give \(byteCount)"
        case .overlap(let tensor, let previous):
            return "tensors \(previous) and \(tensor) overlap in the data"
        case .gap(let before, let begin, let end):
            return "bytes \(begin) to \(end) of the data, before tensor \(before), belong to no tensor"
        case .trailingBytes(let count):
            return "\(count) byte\(count == 1 ? "" : "s") after the last tensor belong\(count == 1 ? "s" : "") to no tensor"
        case .tensorNotFound(let name): return "no tensor named \(name)"
        case .notConvertible(let tensor, let dtype):
            return "tensor \(tensor) has dtype \(dtype.rawValue), which cannot be converted to Float32"
        case .metadataInvalid(let detail): return "invalid model metadata: \(detail)"
        case .modelMismatch(let problems):
            let count = problems.count == 1 ? "1 problem" : "\(problems.count) problems"
            return "does not match the model (\(count)):\n" + problems.map { "  " + $0 }.joined(separator: "\n")
        case .otherNetwork(let holds, let expected): return "holds \(holds) weights, not \(expected)'s"
        }
    }

    private static func byteCount(_ shape: [Int], _ dtype: SafetensorsDType) -> String {
        var total = dtype.size
        for extent in shape {
            let (product, overflow) = total.multipliedReportingOverflow(by: extent)
            if overflow { return "more than Int.max" }
            total = product
        }
        return "\(total)"
    }
}
