import Foundation

/// A numpy ndarray as a pickle describes it, without its data read: shape, dtype and
/// where the bytes are. Understands the three ways numpy pickles an array:
/// - `numpy.core.multiarray._reconstruct(ndarray, (0,), b'b')` + BUILD
///   `(version, shape, dtype, is_fortran, rawdata)`: Python 2 (the original CIFAR-10
///   download) and protocols 2-4; numpy 2 spells the module `numpy._core.multiarray`;
///   Python 3 at protocol 2 wraps rawdata as `_codecs.encode(str, 'latin1')`;
/// - `numpy._core.numeric._frombuffer(buffer, dtype, shape, order)`: protocol 5
///   (`numpy.core.numeric` before numpy 2).
public struct NumpyArray: Sendable, Equatable {
    public let shape: [Int]
    public let dtype: NumpyDType
    /// Column-major data (numpy's order 'F').
    public let fortranOrder: Bool
    public let data: PickleBytes

    public var elementCount: Int { shape.reduce(1, *) }

    /// `source` names the pickle in errors.
    public init(_ value: PickleValue, source: String) throws(NumpyArrayError) {
        func fail(_ message: String) -> NumpyArrayError { NumpyArrayError(source: source, message: message) }
        guard let object = value.object, let callable = object.global else {
            throw fail("not a numpy array: a \(value.kindDescription)")
        }
        let shapeValue: PickleValue, dtypeValue: PickleValue, dataValue: PickleValue
        switch (callable.module, callable.name) {
        case ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"):
            guard let state = object.state?.elements else { throw fail("numpy array has no (shape, dtype, data) state") }
            let fields = state.count == 5 ? Array(state.dropFirst()) : state
            guard fields.count == 4 else { throw fail("numpy array state has \(state.count) items, expected 5") }
            shapeValue = fields[0]
            dtypeValue = fields[1]
            switch fields[2] {
            case .bool(let flag): fortranOrder = flag
            case .int(let flag): fortranOrder = flag != 0
            default: throw fail("numpy array's Fortran flag is a \(fields[2].kindDescription)")
            }
            dataValue = fields[3]
        case ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"):
            guard object.args.count == 4 else { throw fail("numpy _frombuffer has \(object.args.count) arguments, expected 4") }
            dataValue = object.args[0]
            dtypeValue = object.args[1]
            shapeValue = object.args[2]
            guard let order = object.args[3].text, order == "C" || order == "F" else {
                throw fail("numpy _frombuffer order is not 'C' or 'F'")
            }
            fortranOrder = order == "F"
        default:
            throw fail("not a numpy array: a \(callable)(...) object")
        }

        guard let dimensions = shapeValue.intList, dimensions.allSatisfy({ $0 >= 0 }) else {
            throw fail("numpy array shape is not a tuple of sizes: a \(shapeValue.kindDescription)")
        }
        shape = dimensions
        dtype = try NumpyDType(dtypeValue, source: source)
        data = try Self.bytes(of: dataValue, fail: fail)

        var expected = dtype.itemSize
        for size in dimensions {
            let (product, overflow) = expected.multipliedReportingOverflow(by: size)
            guard !overflow else { throw fail("numpy array shape \(dimensions) is absurd") }
            expected = product
        }
        guard data.count == expected else {
            throw fail("numpy array of shape \(dimensions) and dtype \(dtype) needs \(expected) bytes, the pickle holds \(data.count)")
        }
    }

    private static func bytes(of value: PickleValue, fail: (String) -> NumpyArrayError) throws(NumpyArrayError) -> PickleBytes {
        switch value {
        case .bytes(let bytes), .byteArray(let bytes):
            return bytes
        case .object(let object) where object.global?.description == "_codecs.encode":
            // Python 3 at protocol 2: bytes as a latin-1 str.
            guard object.args.count == 2, case .string(let text) = object.args[0], object.args[1].text == "latin1" else {
                throw fail("numpy array data is a _codecs.encode call that is not (str, 'latin1')")
            }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(text.unicodeScalars.count)
            for scalar in text.unicodeScalars {
                guard scalar.value < 256 else { throw fail("numpy array data has a character beyond latin-1") }
                bytes.append(UInt8(scalar.value))
            }
            return .inline(bytes)
        case .object(let object) where object.global?.description == "builtins.bytearray":
            guard object.args.count == 1, case .bytes(let bytes) = object.args[0] else {
                throw fail("numpy array data is a bytearray call without bytes")
            }
            return bytes
        case .list:
            throw fail("numpy object arrays (data pickled as a list) are not supported")
        default:
            throw fail("numpy array data is a \(value.kindDescription), not bytes")
        }
    }

    /// The elements of an integer or bool array as Ints (e.g. labels), from its bytes;
    /// nil for other dtypes or an unsigned value beyond Int.
    public func integers(from bytes: [UInt8]) -> [Int]? {
        guard dtype.isInteger, [1, 2, 4, 8].contains(dtype.itemSize), bytes.count == elementCount * dtype.itemSize else { return nil }
        let width = dtype.itemSize
        let bigEndian = dtype.byteOrder == ">"
        let signed = dtype.kind == "i"
        var result: [Int] = []
        result.reserveCapacity(elementCount)
        for start in stride(from: 0, to: bytes.count, by: width) {
            var raw: UInt64 = 0
            for k in 0..<width {
                let byte = bytes[start + (bigEndian ? k : width - 1 - k)]
                raw = raw << 8 | UInt64(byte)
            }
            if signed {
                let shift = UInt64(64 - 8 * width)
                result.append(Int(Int64(bitPattern: raw << shift) >> Int64(shift)))
            } else {
                guard raw <= UInt64(Int.max) else { return nil }
                result.append(Int(raw))
            }
        }
        return result
    }
}

/// A numpy dtype from its pickle: `numpy.dtype('u1', False, True)` + BUILD
/// `(3, '|', None, None, None, -1, -1, 0)` (version 3; 4 adds metadata).
public struct NumpyDType: Sendable, Equatable, CustomStringConvertible {
    /// '<' little-endian, '>' big-endian, '|' not applicable.
    public let byteOrder: Character
    /// numpy's kind letter: b i u f c S U V O M m.
    public let kind: Character
    /// As numpy spells it without the byte order: "u1", "i8", "U10".
    public let code: String
    public let itemSize: Int

    public var description: String { "\(byteOrder)\(code)" }
    public var isInteger: Bool { kind == "i" || kind == "u" || kind == "b" }

    public init(byteOrder: Character, code: String, itemSize: Int) {
        self.byteOrder = byteOrder
        self.code = code
        self.kind = code.first ?? "?"
        self.itemSize = itemSize
    }

    public init(_ value: PickleValue, source: String) throws(NumpyArrayError) {
        func fail(_ message: String) -> NumpyArrayError { NumpyArrayError(source: source, message: message) }
        guard let object = value.object, object.global?.name == "dtype", object.global?.module.hasPrefix("numpy") == true,
              let typeText = object.args.first?.text else {
            throw fail("numpy dtype expected, found a \(value.kindDescription)")
        }
        var code = Substring(typeText)
        var order: Character?
        if let first = code.first, "<>|=".contains(first) {
            order = first
            code = code.dropFirst()
        }
        guard let kind = code.first, "biufcSUVOMm".contains(kind), let count = Int(code.dropFirst()), count > 0 else {
            throw fail("numpy dtype '\(typeText)' is not a type this reader knows")
        }
        var size = kind == "U" ? 4 * count : count
        if let state = object.state?.elements {
            if state.count >= 4, state[2] != .none || state[3] != .none {
                throw fail("numpy structured or sub-array dtype '\(typeText)' is not supported")
            }
            if state.count >= 2, let text = state[1].text, let first = text.first, text.count == 1, "<>|=".contains(first) {
                order = first
            }
            if state.count >= 6, let elementSize = state[5].int, elementSize > 0 { size = elementSize }
        }
        let hostOrder: Character = 1.littleEndian == 1 ? "<" : ">"
        if order == nil || order == "=" { order = size == 1 || "SVO".contains(kind) ? "|" : hostOrder }
        self.init(byteOrder: order ?? "|", code: String(code), itemSize: size)
    }
}

/// A pickle value that is not the numpy array a caller expects; one line naming the file.
public struct NumpyArrayError: Error, LocalizedError, Sendable, Equatable {
    public let source: String
    public let message: String

    public init(source: String, message: String) {
        self.source = source
        self.message = message
    }

    public var errorDescription: String? { "\(source): \(message)" }
}
