/// 16-bit float conversions for model files: IEEE half (F16, cached feature maps) and bfloat16
/// (BF16, how some checkpoints ship). Both round to nearest, ties to even, like PyTorch's
/// `.half()` and `.bfloat16()`.
public enum HalfPrecision {
    /// IEEE 754 binary16 bits -> Float (exact: every half is a float).
    @inlinable
    public static func float(fromF16 bits: UInt16) -> Float {
        Float(Float16(bitPattern: bits))
    }

    /// Float -> IEEE 754 binary16 bits; beyond +-65504 becomes infinity, NaN stays NaN.
    @inlinable
    public static func f16(from value: Float) -> UInt16 {
        Float16(value).bitPattern
    }

    /// bfloat16 bits (the top half of a Float32) -> Float (exact).
    @inlinable
    public static func float(fromBF16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// Float -> bfloat16 bits, rounding the dropped 16 bits to nearest even.
    @inlinable
    public static func bf16(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        // A NaN must stay a NaN: rounding could carry its payload into the exponent.
        if value.isNaN { return UInt16(bits >> 16) | 0x0040 }
        let roundingBias: UInt32 = 0x7FFF + ((bits >> 16) & 1)
        return UInt16((bits &+ roundingBias) >> 16)
    }

    /// Converts an array of floats to F16 bits.
    public static func f16(from values: [Float]) -> [UInt16] { values.map { f16(from: $0) } }

    /// Converts F16 bits to floats.
    public static func floats(fromF16 bits: [UInt16]) -> [Float] { bits.map { float(fromF16: $0) } }
}
