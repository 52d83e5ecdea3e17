import Basics

/// A safetensors file read into memory and validated: its tensor table, its `__metadata__`
/// strings, and the tensors on demand as Float32.
///
/// Reading is strict (see `SafetensorsHeader.parse`): a file that opens here has a sane header
/// length, valid JSON, known dtypes, offsets that tile the data exactly and sizes that agree
/// with the shapes, so converting a tensor can only fail for a dtype with no Float32 form.
public struct SafetensorsFile: Sendable {
    public let path: String
    /// The tensors in data order.
    public let entries: [SafetensorsEntry]
    public let metadata: [String: String]
    private let bytes: [UInt8]
    private let dataStart: Int
    private let index: [String: Int]

    /// Reads and validates the file at `path`.
    public init(path: String) throws(ModelFileError) {
        let bytes: [UInt8]
        do { bytes = try FileBytes.read(path) } catch {
            throw ModelFileError(path: path, .unreadable(reason: error.reason))
        }
        try self.init(bytes: bytes, path: path)
    }

    /// Validates `bytes` (a whole file); `path` names it in errors.
    public init(bytes: [UInt8], path: String) throws(ModelFileError) {
        guard bytes.count >= 8 else { throw ModelFileError(path: path, .tooShort(fileSize: bytes.count)) }
        var declared: UInt64 = 0
        for i in (0..<8).reversed() { declared = declared << 8 | UInt64(bytes[i]) }
        guard declared <= SafetensorsHeader.maximumLength else {
            throw ModelFileError(path: path, .headerTooLarge(declared: declared))
        }
        let headerLength = Int(declared)
        guard 8 + headerLength <= bytes.count else {
            throw ModelFileError(path: path, .headerBeyondFile(declared: declared, fileSize: bytes.count))
        }
        let header = try SafetensorsHeader.parse(bytes[8..<8 + headerLength],
                                                 bufferSize: bytes.count - 8 - headerLength, path: path)
        self.path = path
        self.bytes = bytes
        dataStart = 8 + headerLength
        entries = header.entries
        metadata = header.metadata
        index = Dictionary(header.entries.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Tensor names, sorted.
    public var names: [String] { index.keys.sorted() }

    public func entry(_ name: String) -> SafetensorsEntry? { index[name].map { entries[$0] } }

    /// The tensor's stored bytes (little-endian, row-major).
    public func rawBytes(_ name: String) -> ArraySlice<UInt8>? {
        entry(name).map { bytes[dataStart + $0.offsets.lowerBound ..< dataStart + $0.offsets.upperBound] }
    }

    /// The tensor called `name` as Float32 (F16/BF16/F64 and integers converted).
    public func tensor(_ name: String) throws(ModelFileError) -> Tensor {
        guard let entry = entry(name) else { throw ModelFileError(path: path, .tensorNotFound(name: name)) }
        return try tensor(entry)
    }

    func tensor(_ entry: SafetensorsEntry) throws(ModelFileError) -> Tensor {
        guard entry.dtype.isConvertibleToFloat32 else {
            throw ModelFileError(path: path, .notConvertible(tensor: entry.name, dtype: entry.dtype))
        }
        let start = dataStart + entry.offsets.lowerBound
        return bytes.withUnsafeBytes { raw in
            let slice = UnsafeRawBufferPointer(rebasing: raw[start ..< start + entry.offsets.count])
            return Tensor(shape: entry.shape) { out in
                entry.dtype.decodeFloat32(slice, count: entry.elementCount, into: out)
            }
        }
    }

    /// Every tensor as Float32, by name.
    public func tensors() throws(ModelFileError) -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        result.reserveCapacity(entries.count)
        for entry in entries { result[entry.name] = try tensor(entry) }
        return result
    }
}
