/// The element types of PyTorch storages, named by the storage classes checkpoints pickle
/// (`torch.FloatStorage`, `torch.HalfStorage`, ...). Everything is read as Float32.
public enum TorchDType: String, Sendable, Equatable, CaseIterable {
    case float32, float64, float16, bfloat16
    case int64, int32, int16, int8, uint8, bool

    /// The dtype of a storage class name as pickled (`FloatStorage`); nil for ones not read
    /// (complex, quantized, float8).
    public init?(storageClass name: String) {
        switch name {
        case "FloatStorage": self = .float32
        case "DoubleStorage": self = .float64
        case "HalfStorage": self = .float16
        case "BFloat16Storage": self = .bfloat16
        case "LongStorage": self = .int64
        case "IntStorage": self = .int32
        case "ShortStorage": self = .int16
        case "CharStorage": self = .int8
        case "ByteStorage": self = .uint8
        case "BoolStorage": self = .bool
        default: return nil
        }
    }

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16, .int16: return 2
        case .int8, .uint8, .bool: return 1
        }
    }

    public var isFloatingPoint: Bool {
        switch self {
        case .float32, .float64, .float16, .bfloat16: return true
        default: return false
        }
    }

    /// `count` elements gathered from `storage`: element i of the result is the storage element
    /// at `index(i)` (already checked to be inside the storage); `index` is called once per i,
    /// in order, so it may walk the strides incrementally. `bigEndian` storages (a
    /// checkpoint saved on such a machine) are swapped while reading.
    func gather(_ storage: UnsafeRawBufferPointer, bigEndian: Bool, count: Int,
                into out: UnsafeMutableBufferPointer<Float>, index: (Int) -> Int) {
        func load<T: FixedWidthInteger>(_: T.Type, _ element: Int) -> T {
            let raw = storage.loadUnaligned(fromByteOffset: element * MemoryLayout<T>.size, as: T.self)
            return bigEndian ? T(bigEndian: raw) : T(littleEndian: raw)
        }
        // One switch per tensor, not per element.
        switch self {
        case .float32: for i in 0..<count { out[i] = Float(bitPattern: load(UInt32.self, index(i))) }
        case .float64: for i in 0..<count { out[i] = Float(Double(bitPattern: load(UInt64.self, index(i)))) }
        case .float16: for i in 0..<count { out[i] = Float(Float16(bitPattern: load(UInt16.self, index(i)))) }
        case .bfloat16: for i in 0..<count { out[i] = Float(bitPattern: UInt32(load(UInt16.self, index(i))) << 16) }
        case .int64: for i in 0..<count { out[i] = Float(load(Int64.self, index(i))) }
        case .int32: for i in 0..<count { out[i] = Float(load(Int32.self, index(i))) }
        case .int16: for i in 0..<count { out[i] = Float(load(Int16.self, index(i))) }
        case .int8: for i in 0..<count { out[i] = Float(load(Int8.self, index(i))) }
        case .uint8: for i in 0..<count { out[i] = Float(load(UInt8.self, index(i))) }
        case .bool: for i in 0..<count { out[i] = load(UInt8.self, index(i)) == 0 ? 0 : 1 }
        }
    }
}
