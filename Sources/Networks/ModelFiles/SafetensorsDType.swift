/// The element types a safetensors file may declare, spelled as the format spells them.
///
/// The declaration order is the reference implementation's (increasing alignment); its writer
/// sorts tensors by this order descending, then by name, and ours does the same so a file we
/// write is byte-for-byte the file `safetensors.torch.save_file` would write.
public enum SafetensorsDType: String, CaseIterable, Sendable, Comparable {
    case bool = "BOOL"
    case u8 = "U8"
    case i8 = "I8"
    case f8e5m2 = "F8_E5M2"
    case f8e4m3 = "F8_E4M3"
    case i16 = "I16"
    case u16 = "U16"
    case f16 = "F16"
    case bf16 = "BF16"
    case i32 = "I32"
    case u32 = "U32"
    case f32 = "F32"
    case f64 = "F64"
    case i64 = "I64"
    case u64 = "U64"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3: 1
        case .i16, .u16, .f16, .bf16: 2
        case .i32, .u32, .f32: 4
        case .f64, .i64, .u64: 8
        }
    }

    /// Floating-point types that convert to Float32 without reinterpretation; a model's weights
    /// must have one of these (an I64 where a weight is expected is a wrong file, not a cast).
    public var isFloatingPoint: Bool {
        switch self {
        case .f16, .bf16, .f32, .f64: true
        default: false
        }
    }

    /// Whether `decodeFloat32` can read this type. FP8 is left out: no model here stores it, and
    /// its two variants' NaN/saturation rules are easy to get subtly wrong.
    public var isConvertibleToFloat32: Bool {
        switch self {
        case .f8e5m2, .f8e4m3: false
        default: true
        }
    }

    /// Types our writer produces.
    public var isWritable: Bool { self == .f32 || self == .f16 || self == .bf16 }

    private var order: Int { Self.allCases.firstIndex(of: self) ?? 0 }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.order < rhs.order }

    /// Little-endian elements of this type, as Float32 (`bytes.count == count * size`).
    /// Integers convert by value (exact below 2^24), booleans to 0 or 1.
    func decodeFloat32(_ bytes: UnsafeRawBufferPointer, count: Int, into out: UnsafeMutableBufferPointer<Float>) {
        precondition(isConvertibleToFloat32, "\(rawValue) has no Float32 conversion")
        precondition(bytes.count == count * size && out.count == count, "byte count does not match the element count")
        func load<T: FixedWidthInteger>(_: T.Type, _ i: Int) -> T {
            T(littleEndian: bytes.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self))
        }
        switch self {
        case .f32:
            #if _endian(little)
            if let source = bytes.baseAddress, let target = out.baseAddress, count > 0 {
                UnsafeMutableRawPointer(target).copyMemory(from: source, byteCount: count * 4)
            }
            #else
            for i in 0..<count { out[i] = Float(bitPattern: load(UInt32.self, i)) }
            #endif
        case .f16: for i in 0..<count { out[i] = HalfPrecision.float(fromF16: load(UInt16.self, i)) }
        case .bf16: for i in 0..<count { out[i] = HalfPrecision.float(fromBF16: load(UInt16.self, i)) }
        case .f64: for i in 0..<count { out[i] = Float(Double(bitPattern: load(UInt64.self, i))) }
        case .bool: for i in 0..<count { out[i] = load(UInt8.self, i) != 0 ? 1 : 0 }
        case .u8: for i in 0..<count { out[i] = Float(load(UInt8.self, i)) }
        case .i8: for i in 0..<count { out[i] = Float(load(Int8.self, i)) }
        case .i16: for i in 0..<count { out[i] = Float(load(Int16.self, i)) }
        case .u16: for i in 0..<count { out[i] = Float(load(UInt16.self, i)) }
        case .i32: for i in 0..<count { out[i] = Float(load(Int32.self, i)) }
        case .u32: for i in 0..<count { out[i] = Float(load(UInt32.self, i)) }
        case .i64: for i in 0..<count { out[i] = Float(load(Int64.self, i)) }
        case .u64: for i in 0..<count { out[i] = Float(load(UInt64.self, i)) }
        case .f8e5m2, .f8e4m3: preconditionFailure("unreachable")
        }
    }

    /// Float32 values as little-endian elements of this (writable) type, appended to `bytes`.
    func encode(_ values: UnsafeBufferPointer<Float>, appendingTo bytes: inout [UInt8]) {
        precondition(isWritable, "the safetensors writer stores F32, F16 or BF16, not \(rawValue)")
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: values.count * size))
        bytes.withUnsafeMutableBytes { raw in
            let target = UnsafeMutableRawBufferPointer(rebasing: raw[start...])
            switch self {
            case .f32:
                #if _endian(little)
                if let source = values.baseAddress, let base = target.baseAddress, !values.isEmpty {
                    base.copyMemory(from: source, byteCount: values.count * 4)
                }
                #else
                for (i, v) in values.enumerated() { target.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self) }
                #endif
            case .f16:
                for (i, v) in values.enumerated() {
                    target.storeBytes(of: HalfPrecision.f16(from: v).littleEndian, toByteOffset: i * 2, as: UInt16.self)
                }
            case .bf16:
                for (i, v) in values.enumerated() {
                    target.storeBytes(of: HalfPrecision.bf16(from: v).littleEndian, toByteOffset: i * 2, as: UInt16.self)
                }
            default: preconditionFailure("unreachable")
            }
        }
    }
}
