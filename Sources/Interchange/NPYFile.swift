import Foundation
import Basics

/// The element types read from and written to .npy files: the ones codes and labels come in.
public enum NPYDType: String, Sendable, CaseIterable {
    case float32, float64, int8, int16, int32, int64, uint8, bool

    public var itemSize: Int {
        switch self {
        case .int8, .uint8, .bool: 1
        case .int16: 2
        case .float32, .int32: 4
        case .float64, .int64: 8
        }
    }

    /// As numpy writes it (little-endian; '|' where byte order does not apply).
    public var descr: String {
        switch self {
        case .float32: "<f4"
        case .float64: "<f8"
        case .int8: "|i1"
        case .int16: "<i2"
        case .int32: "<i4"
        case .int64: "<i8"
        case .uint8: "|u1"
        case .bool: "|b1"
        }
    }

    public var isFloat: Bool { self == .float32 || self == .float64 }

    /// From a header's descr. One-byte types may carry '<' or '|'; wider ones must be '<'.
    init?(descr: String) {
        guard let order = descr.first, "<|".contains(order) else { return nil }
        let code = descr.dropFirst()
        guard let type = Self.allCases.first(where: { $0.descr.dropFirst() == code }) else { return nil }
        if order == "|" && type.itemSize != 1 { return nil }
        self = type
    }
}

/// A numpy array (1-D and 2-D for codes and labels; higher ranks for image batches): its
/// type, shape and little-endian elements in C (row-major) order.
public struct NPYArray: Sendable, Equatable {
    public let dtype: NPYDType
    public let shape: [Int]
    public let bytes: [UInt8]

    public init(dtype: NPYDType, shape: [Int], bytes: [UInt8]) {
        precondition(!shape.isEmpty, "NPYArray needs at least one dimension")
        precondition(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) * dtype.itemSize == bytes.count,
                     "\(bytes.count) bytes do not hold shape \(shape) of \(dtype)")
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    public var count: Int { shape.reduce(1, *) }
    public var rows: Int { shape[0] }
    /// 1 for a 1-D array.
    public var columns: Int { shape.count == 2 ? shape[1] : 1 }

    public static func float32(_ values: [Float], shape: [Int]) -> NPYArray { make(values.map(\.bitPattern), .float32, shape) }
    public static func float64(_ values: [Double], shape: [Int]) -> NPYArray { make(values.map(\.bitPattern), .float64, shape) }
    public static func int8(_ values: [Int8], shape: [Int]) -> NPYArray { make(values, .int8, shape) }
    public static func int16(_ values: [Int16], shape: [Int]) -> NPYArray { make(values, .int16, shape) }
    public static func int32(_ values: [Int32], shape: [Int]) -> NPYArray { make(values, .int32, shape) }
    public static func int64(_ values: [Int64], shape: [Int]) -> NPYArray { make(values, .int64, shape) }
    public static func uint8(_ values: [UInt8], shape: [Int]) -> NPYArray { NPYArray(dtype: .uint8, shape: shape, bytes: values) }
    public static func bool(_ values: [Bool], shape: [Int]) -> NPYArray {
        NPYArray(dtype: .bool, shape: shape, bytes: values.map { $0 ? 1 : 0 })
    }

    private static func make<T: FixedWidthInteger>(_ values: [T], _ dtype: NPYDType, _ shape: [Int]) -> NPYArray {
        var bytes = [UInt8](repeating: 0, count: values.count * MemoryLayout<T>.size)
        bytes.withUnsafeMutableBytes { raw in
            for (i, value) in values.enumerated() { raw.storeBytes(of: value.littleEndian, toByteOffset: i * MemoryLayout<T>.size, as: T.self) }
        }
        return NPYArray(dtype: dtype, shape: shape, bytes: bytes)
    }

    /// Every element as a Double (exact for all types here but int64 beyond 2^53).
    public func doubles() -> [Double] {
        bytes.withUnsafeBytes { raw in
            let n = count
            switch dtype {
            case .float32: return (0..<n).map { Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)))) }
            case .float64: return (0..<n).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self))) }
            default: return integerElements(raw).map(Double.init)
            }
        }
    }

    /// Every element as an Int; nil for float arrays. Bool elements are their stored byte.
    public func integers() -> [Int]? {
        guard !dtype.isFloat else { return nil }
        return bytes.withUnsafeBytes { integerElements($0) }
    }

    private func integerElements(_ raw: UnsafeRawBufferPointer) -> [Int] {
        let n = count
        switch dtype {
        case .int8: return (0..<n).map { Int(Int8(bitPattern: raw[$0])) }
        case .uint8, .bool: return (0..<n).map { Int(raw[$0]) }
        case .int16: return (0..<n).map { Int(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: Int16.self))) }
        case .int32: return (0..<n).map { Int(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self))) }
        case .int64: return (0..<n).map { Int(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self))) }
        case .float32, .float64: preconditionFailure("not an integer dtype")
        }
    }
}

/// Why a .npy file (or the array in it) cannot be used: one line naming the file.
public struct NPYError: Error, LocalizedError, Sendable, Equatable {
    public let source: String
    public let message: String

    public init(source: String, message: String) {
        self.source = source
        self.message = message
    }

    public var errorDescription: String? { "\(source): \(message)" }
}

/// numpy's .npy format (versions 1.0, 2.0, 3.0): the magic "\x93NUMPY", major and minor version
/// bytes, the header length (UInt16 in 1.0, UInt32 after), then a Python dict literal
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }` padded with spaces and ended
/// by '\n', then the elements. https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
public enum NPYFile {
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
    static let supported = "float32, float64, int8, int16, int32, int64, uint8 or bool, little-endian"

    /// Arrays of up to `maxRank` dimensions (codes and labels are 1-D or 2-D).
    public static func read(_ path: String, maxRank: Int = 2) throws(NPYError) -> NPYArray {
        let bytes: [UInt8]
        do { bytes = try FileBytes.read(path) } catch {
            throw NPYError(source: path, message: "cannot read file: \(error.reason)")
        }
        return try parse(bytes, source: path, maxRank: maxRank)
    }

    /// The array in `bytes`; `source` names them in errors. The data length is checked against
    /// the shape before anything is allocated for it.
    public static func parse(_ bytes: [UInt8], source: String, maxRank: Int = 2) throws(NPYError) -> NPYArray {
        func fail(_ message: String) -> NPYError { NPYError(source: source, message: message) }
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw fail("not a numpy .npy file (no \\x93NUMPY magic)")
        }
        let major = Int(bytes[6]), minor = Int(bytes[7])
        guard (1...3).contains(major), minor == 0 else { throw fail(".npy format version \(major).\(minor) is not supported (1.0, 2.0, 3.0 are)") }
        let lengthBytes = major == 1 ? 2 : 4
        guard bytes.count >= 8 + lengthBytes else { throw fail("truncated .npy header") }
        let headerLength = bytes[8..<8 + lengthBytes].reversed().reduce(0) { $0 << 8 | Int($1) }
        let dataStart = 8 + lengthBytes + headerLength
        guard dataStart <= bytes.count else { throw fail("truncated .npy header: it claims \(headerLength) bytes, the file has \(bytes.count - 8 - lengthBytes)") }
        let headerBytes = Array(bytes[(8 + lengthBytes)..<dataStart])
        guard major == 3 || headerBytes.allSatisfy({ $0 < 0x80 }) else { throw fail(".npy header is not ASCII") }
        guard let text = String(validating: headerBytes, as: UTF8.self) else { throw fail(".npy header is not UTF-8") }
        let header = try NPYHeaderParser.parse(text, fail: fail)

        guard let dtype = NPYDType(descr: header.descr) else {
            if let order = header.descr.first, order == ">" {
                throw fail("big-endian dtype '\(header.descr)' is not supported (save it little-endian: a.astype('<\(header.descr.dropFirst())'))")
            }
            throw fail("dtype '\(header.descr)' is not supported (expected \(supported))")
        }
        guard (1...maxRank).contains(header.shape.count) else {
            let ranks = maxRank == 2 ? "1-D or 2-D arrays are" : "arrays of 1 to \(maxRank) dimensions are"
            throw fail("array of shape \(describe(header.shape)) is not supported (\(ranks))")
        }
        guard !header.fortranOrder || header.shape.count <= 2 else {
            throw fail("Fortran-order arrays of more than 2 dimensions are not supported (save with np.ascontiguousarray)")
        }
        var expected = dtype.itemSize
        for size in header.shape {
            let (product, overflow) = expected.multipliedReportingOverflow(by: size)
            guard !overflow else { throw fail("shape \(describe(header.shape)) is absurd") }
            expected = product
        }
        let available = bytes.count - dataStart
        guard available == expected else {
            let problem = available < expected ? "truncated" : "has \(available - expected) bytes past its data"
            throw fail("\(problem): shape \(describe(header.shape)) of \(dtype.rawValue) needs \(expected) bytes of data, the file has \(available)")
        }
        var data = Array(bytes[dataStart...])
        if header.fortranOrder && header.shape.count == 2 {
            data = transposed(data, rows: header.shape[0], columns: header.shape[1], itemSize: dtype.itemSize)
        }
        return NPYArray(dtype: dtype, shape: header.shape, bytes: data)
    }

    /// The .npy bytes of `array`, formatted as np.save formats them. `version` 1 (what np.save
    /// writes for any 1-D or 2-D array), 2 or 3; `fortranOrder` writes the elements
    /// column-major (numpy's order='F').
    public static func encode(_ array: NPYArray, version: Int = 1, fortranOrder: Bool = false) -> [UInt8] {
        precondition((1...3).contains(version), ".npy version \(version) does not exist")
        let shape = array.shape.count == 1 ? "(\(array.shape[0]),)" : "(\(array.shape.map(String.init).joined(separator: ", ")))"
        var header = Array("{'descr': '\(array.dtype.descr)', 'fortran_order': \(fortranOrder ? "True" : "False"), 'shape': \(shape), }".utf8)
        let lengthBytes = version == 1 ? 2 : 4
        // numpy pads so that the data starts at a multiple of 64 bytes.
        let unpadded = 8 + lengthBytes + header.count + 1
        header += [UInt8](repeating: 0x20, count: (64 - unpadded % 64) % 64) + [0x0A]
        var bytes = magic + [UInt8(version), 0]
        for k in 0..<lengthBytes { bytes.append(UInt8(truncatingIfNeeded: header.count >> (8 * k))) }
        bytes += header
        if fortranOrder && array.shape.count == 2 {
            bytes += transposed(array.bytes, rows: array.shape[1], columns: array.shape[0], itemSize: array.dtype.itemSize)
        } else {
            bytes += array.bytes
        }
        return bytes
    }

    /// Writes `array` to `path` atomically (temporary file, fsync, rename).
    public static func write(_ array: NPYArray, to path: String) throws(NPYError) {
        do { try AtomicFileWriter.write(encode(array), to: path) } catch {
            throw NPYError(source: path, message: "cannot write file: \(error.reason)")
        }
    }

    public static func describe(_ shape: [Int]) -> String {
        shape.count == 1 ? "(\(shape[0]),)" : "(\(shape.map(String.init).joined(separator: ", ")))"
    }

    /// Column-major (columns x rows stored as `rows` runs of `columns`) to row-major, or back.
    private static func transposed(_ data: [UInt8], rows: Int, columns: Int, itemSize: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: data.count)
        for r in 0..<rows {
            for c in 0..<columns {
                let from = (c * rows + r) * itemSize, to = (r * columns + c) * itemSize
                for b in 0..<itemSize { out[to + b] = data[from + b] }
            }
        }
        return out
    }
}

/// The header dict, parsed strictly: exactly the keys 'descr' (a string), 'fortran_order'
/// (True/False) and 'shape' (a tuple of sizes), each once; then only spaces and the final '\n'.
private struct NPYHeaderParser {
    let descr: String
    let fortranOrder: Bool
    let shape: [Int]

    static func parse(_ text: String, fail: (String) -> NPYError) throws(NPYError) -> NPYHeaderParser {
        var scanner = Scanner(Array(text.unicodeScalars))
        func bad(_ what: String) -> NPYError { fail("malformed .npy header (\(what)): \(text.trimmingCharacters(in: .whitespacesAndNewlines))") }
        guard text.hasSuffix("\n") else { throw bad("no final newline") }
        var descr: String?, fortran: Bool?, shape: [Int]?
        guard scanner.take("{") else { throw bad("not a dict") }
        while !scanner.take("}") {
            guard let key = scanner.string() else { throw bad("expected a quoted key") }
            guard scanner.take(":") else { throw bad("expected ':' after '\(key)'") }
            switch key {
            case "descr":
                guard descr == nil else { throw bad("'descr' twice") }
                if scanner.peek() == "[" { throw fail("structured dtypes (a list of fields) are not supported") }
                guard let value = scanner.string() else { throw bad("'descr' is not a string") }
                descr = value
            case "fortran_order":
                guard fortran == nil else { throw bad("'fortran_order' twice") }
                if scanner.take("True") { fortran = true } else if scanner.take("False") { fortran = false } else { throw bad("'fortran_order' is not True or False") }
            case "shape":
                guard shape == nil else { throw bad("'shape' twice") }
                guard let value = scanner.tuple() else { throw bad("'shape' is not a tuple of sizes") }
                shape = value
            default:
                throw bad("unexpected key '\(key)'")
            }
            if !scanner.take(",") {
                guard scanner.take("}") else { throw bad("expected ',' or '}'") }
                break
            }
        }
        guard scanner.atEnd() else { throw bad("text after the dict") }
        guard let descr, let fortran, let shape else { throw bad("it needs 'descr', 'fortran_order' and 'shape'") }
        return NPYHeaderParser(descr: descr, fortranOrder: fortran, shape: shape)
    }

    private struct Scanner {
        let scalars: [Unicode.Scalar]
        var at = 0
        init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }

        mutating func peek() -> Character? { skipWhitespace(); return at < scalars.count ? Character(scalars[at]) : nil }
        mutating func atEnd() -> Bool { skipWhitespace(); return at == scalars.count }

        private mutating func skipWhitespace() { while at < scalars.count, scalars[at] == " " || scalars[at] == "\n" { at += 1 } }

        mutating func take(_ word: String) -> Bool {
            skipWhitespace()
            let wanted = Array(word.unicodeScalars)
            guard at + wanted.count <= scalars.count, Array(scalars[at..<at + wanted.count]) == wanted else { return false }
            at += wanted.count
            return true
        }

        mutating func string() -> String? {
            skipWhitespace()
            guard at < scalars.count, scalars[at] == "'" || scalars[at] == "\"" else { return nil }
            let quote = scalars[at]
            var end = at + 1
            while end < scalars.count, scalars[end] != quote, scalars[end] != "\\" { end += 1 }
            guard end < scalars.count, scalars[end] == quote else { return nil }
            defer { at = end + 1 }
            return String(String.UnicodeScalarView(scalars[(at + 1)..<end]))
        }

        /// `()`, `(3,)`, `(3, 4)`, `(3L, 4L)` (Python 2 longs).
        mutating func tuple() -> [Int]? {
            guard take("(") else { return nil }
            var values: [Int] = []
            while !take(")") {
                skipWhitespace()
                var value = 0, digits = 0
                while at < scalars.count, (48...57).contains(scalars[at].value) {
                    let (times, o1) = value.multipliedReportingOverflow(by: 10)
                    let (plus, o2) = times.addingReportingOverflow(Int(scalars[at].value) - 48)
                    guard !o1, !o2 else { return nil }
                    value = plus
                    digits += 1
                    at += 1
                }
                guard digits > 0 else { return nil }
                if at < scalars.count, scalars[at] == "L" { at += 1 }
                values.append(value)
                if !take(",") {
                    guard take(")") else { return nil }
                    // (3) is not a tuple in Python.
                    if values.count == 1 { return nil }
                    break
                }
            }
            return values
        }
    }
}
