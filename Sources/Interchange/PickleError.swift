import Foundation

/// Why a pickle stream could not be read. The description is one line naming the file,
/// the byte offset of the opcode at fault and the problem.
public struct PickleError: Error, LocalizedError, Sendable, Equatable {
    public enum Problem: Sendable, Equatable {
        case unreadable(String)            // the OS refused to read the file
        case truncated(String)             // the stream ends inside what is described
        case unknownOpcode(UInt8)
        case stackUnderflow(String)        // the opcode's name
        case missingMark(String)
        case memoMiss(Int)
        case badLength(String)             // negative, or beyond what the stream holds
        case malformed(String)
        case unsupported(String)
        case tooDeep(Int)                  // nesting beyond the limit
    }

    public let source: String
    /// The byte offset of the opcode being read, in the source; nil when no byte was read.
    public let offset: Int?
    public let problem: Problem

    public init(source: String, offset: Int?, problem: Problem) {
        self.source = source
        self.offset = offset
        self.problem = problem
    }

    public var problemDescription: String {
        switch problem {
        case .unreadable(let reason): return "cannot read file: \(reason)"
        case .truncated(let detail): return "truncated pickle: \(detail)"
        case .unknownOpcode(let code):
            let printable = (0x21...0x7E).contains(code) ? " ('\(Character(Unicode.Scalar(code)))')" : ""
            return "not a pickle: unknown opcode 0x\(Self.hex(code))\(printable)"
        case .stackUnderflow(let opcode): return "bad pickle: \(opcode) finds too few values on the stack"
        case .missingMark(let opcode): return "bad pickle: \(opcode) has no MARK before it"
        case .memoMiss(let index): return "bad pickle: memo has no entry \(index)"
        case .badLength(let detail): return "bad pickle: \(detail)"
        case .malformed(let detail): return "bad pickle: \(detail)"
        case .unsupported(let detail): return "unsupported pickle: \(detail)"
        case .tooDeep(let limit): return "unsupported pickle: values nested more than \(limit) deep"
        }
    }

    static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }

    public var errorDescription: String? {
        guard let offset else { return "\(source): \(problemDescription)" }
        return "\(source): byte \(offset): \(problemDescription)"
    }
}
