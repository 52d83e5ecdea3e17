import Interchange

/// Codes and labels from numpy arrays, in the forms DeepHash-pytorch, faiss and friends dump
/// them. Anything else is refused with an `NPYError` naming the file and what is wrong.
///
/// Codes, a 2-D array (N, bits), or (N, bits / 8) bytes when packed:
/// - float32 / float64: read by sign, value >= 0 -> bit 1 (so 0 counts as +1, as
///   `BinaryCodes.fromSigns`): ±1 codes and real-valued tanh outputs alike. NaN is refused, and
///   so is an array with no negative value at all (every bit would be 1: 0/1 codes stored as
///   floats, which must come as uint8 or bool instead).
/// - int8 / int16 / int32 / int64: ±1 codes; 0 counts as +1. Other values are refused, and so is
///   an array of only 0 and 1 (0/1 codes must come as uint8 or bool, where 0 is bit 0).
/// - uint8 / bool: 0/1 codes, bit = value; anything but 0 and 1 is refused.
/// - packed (`packedBits` given): uint8 bytes in faiss's layout (bit j of a code is bit j % 8 of
///   byte j / 8), `packedBits / 8` columns.
/// Code lengths are 8...1024 bits (`BinaryCodes.bitRange`).
///
/// Labels:
/// - 1-D integer array (N,), or a 2-D integer column (N, 1): class ids.
/// - 2-D array (N, C) with C > 1 (or a float/bool column): multi-hot rows, every value 0 or 1.
public enum NPYInputs {
    public static func codes(_ array: NPYArray, source: String, packedBits: Int? = nil) throws(NPYError) -> BinaryCodes {
        func fail(_ message: String) -> NPYError { NPYError(source: source, message: message) }
        guard array.shape.count == 2 else {
            throw fail("codes must be a 2-D array (codes, bits); this one has shape \(NPYFile.describe(array.shape))")
        }
        guard array.rows > 0 else { throw fail("holds no codes (shape \(NPYFile.describe(array.shape)))") }
        let rows = array.rows, columns = array.columns

        if let packedBits {
            precondition(BinaryCodes.bitRange.contains(packedBits) && packedBits % 8 == 0, "--packed bits are checked by the caller")
            guard array.dtype == .uint8 else {
                throw fail("packed codes must be uint8 bytes, not \(array.dtype.rawValue)")
            }
            guard columns * 8 == packedBits else {
                throw fail("packed \(packedBits)-bit codes need \(packedBits / 8) bytes per row, this array has \(columns) (\(columns * 8) bits)")
            }
            return BinaryCodes(packedBytes: array.bytes, bits: packedBits)
        }

        guard BinaryCodes.bitRange.contains(columns) else {
            throw fail("codes of \(columns) bits are not supported (8...1024 bits are)\(array.dtype == .uint8 ? "; packed bytes need --packed BITS" : "")")
        }
        var ones = [Bool](repeating: false, count: rows * columns)
        switch array.dtype {
        case .float32, .float64:
            let values = array.doubles()
            if let bad = values.firstIndex(where: \.isNaN) { throw fail("code value NaN at row \(bad / columns), column \(bad % columns)") }
            guard values.contains(where: { $0 < 0 }) else {
                throw fail("float codes are read by sign and none is negative, so every bit would be 1; give ±1 codes or tanh outputs, or 0/1 codes as uint8 or bool")
            }
            for i in values.indices { ones[i] = values[i] >= 0 }
        case .int8, .int16, .int32, .int64:
            let values = array.integers() ?? []
            if let bad = values.firstIndex(where: { $0 < -1 || $0 > 1 }) {
                throw fail("\(array.dtype.rawValue) codes must be ±1 (0 counts as +1), found \(values[bad]) at row \(bad / columns), column \(bad % columns)")
            }
            guard values.contains(-1) else {
                throw fail("\(array.dtype.rawValue) codes are read as ±1 (0 counts as +1) and none is -1, so every bit would be 1; give 0/1 codes as uint8 or bool")
            }
            for i in values.indices { ones[i] = values[i] >= 0 }
        case .uint8, .bool:
            for (i, byte) in array.bytes.enumerated() {
                guard byte <= 1 else {
                    let hint = array.dtype == .uint8 ? " (packed bytes? pass --packed BITS)" : ""
                    throw fail("\(array.dtype.rawValue) codes must be 0 or 1, found \(byte) at row \(i / columns), column \(i % columns)\(hint)")
                }
                ones[i] = byte == 1
            }
        }
        return ones.withUnsafeBufferPointer { flags in
            let words = CodeBuffer.make(wordCount: rows * ((columns + 63) / 64)) { words in
                let perCode = (columns + 63) / 64
                for row in 0..<rows {
                    for j in 0..<columns where flags[row * columns + j] {
                        words[row * perCode + j / 64] |= 1 << UInt64(j % 64)
                    }
                }
            }
            return BinaryCodes(bits: columns, count: rows, buffer: words)
        }
    }

    public static func labels(_ array: NPYArray, source: String) throws(NPYError) -> LabelSet {
        func fail(_ message: String) -> NPYError { NPYError(source: source, message: message) }
        guard array.rows > 0 else { throw fail("holds no labels (shape \(NPYFile.describe(array.shape)))") }
        let isInteger = !array.dtype.isFloat && array.dtype != .bool
        if array.shape.count == 1 || (array.columns == 1 && isInteger) {
            guard isInteger, let ids = array.integers() else {
                throw fail("1-D labels must be integer class ids, not \(array.dtype.rawValue); multi-hot labels are 2-D (items, classes)")
            }
            return .classIDs(ids)
        }
        guard array.columns > 0 else { throw fail("multi-hot labels of shape \(NPYFile.describe(array.shape)) have no classes") }
        let values = array.doubles()
        if let bad = values.firstIndex(where: { $0 != 0 && $0 != 1 }) {
            let value = values[bad]
            let shown = value.rounded() == value && abs(value) < 1e15 ? String(Int(value)) : String(value)
            throw fail("multi-hot labels must be 0 or 1, found \(shown) at row \(bad / array.columns), column \(bad % array.columns)")
        }
        let columns = array.columns
        return .multiHot(MultiHotLabels(count: array.rows, classes: columns) { values[$0 * columns + $1] == 1 })
    }
}
