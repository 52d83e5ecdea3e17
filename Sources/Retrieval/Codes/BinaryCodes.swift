/// `count` binary codes of `bits` bits each, packed like faiss: bit j of a code is bit j % 8
/// of byte j / 8 (LSB first), held in 64-bit words (on little-endian machines byte b of a
/// code is byte b % 8 of word b / 8, so the byte view and the word view agree). Each code
/// takes `wordsPerCode` words; bits past `bits` are zero.
public struct BinaryCodes: Sendable {
    public static let bitRange = 8...1024

    public let bits: Int
    public let count: Int
    public let wordsPerCode: Int
    public let buffer: CodeBuffer

    public init(bits: Int, count: Int, buffer: CodeBuffer) {
        precondition(Self.bitRange.contains(bits), "code length \(bits) is outside 8...1024 bits")
        let wordsPerCode = (bits + 63) / 64
        precondition(buffer.wordCount >= count * wordsPerCode, "buffer holds fewer than \(count) codes")
        self.bits = bits
        self.count = count
        self.wordsPerCode = wordsPerCode
        self.buffer = buffer
    }

    /// Codes from words already laid out `wordsPerCode` per code.
    public init(bits: Int, words: [UInt64]) {
        let wordsPerCode = (bits + 63) / 64
        precondition(words.count % wordsPerCode == 0, "word count is not a whole number of codes")
        self.init(bits: bits, count: words.count / wordsPerCode, buffer: CodeBuffer(copying: words))
    }

    /// Codes from real-valued outputs, `bits` values per row, row-major. A bit is 1 where
    /// `isOne(value)` holds.
    public init(values: UnsafeBufferPointer<Float>, bits: Int, isOne: (Float) -> Bool) {
        precondition(Self.bitRange.contains(bits), "code length \(bits) is outside 8...1024 bits")
        precondition(values.count % bits == 0, "\(values.count) values are not rows of \(bits)")
        let count = values.count / bits
        let wordsPerCode = (bits + 63) / 64
        let buffer = CodeBuffer.make(wordCount: count * wordsPerCode) { words in
            for row in 0..<count {
                let base = row * bits
                for j in 0..<bits where isOne(values[base + j]) {
                    words[row * wordsPerCode + j / 64] |= 1 << UInt64(j % 64)
                }
            }
        }
        self.init(bits: bits, count: count, buffer: buffer)
    }

    /// From tanh or ±1 outputs: the sign, with 0 counted as +1 (bit 1).
    public static func fromSigns(_ values: [Float], bits: Int) -> BinaryCodes {
        values.withUnsafeBufferPointer { BinaryCodes(values: $0, bits: bits) { $0 >= 0 } }
    }

    /// From sigmoid outputs (DLBHC's latent layer): bit 1 where the output is at least 0.5.
    public static func fromSigmoid(_ values: [Float], bits: Int) -> BinaryCodes {
        values.withUnsafeBufferPointer { BinaryCodes(values: $0, bits: bits) { $0 >= 0.5 } }
    }

    /// From faiss's byte layout: `bits / 8` bytes per code.
    public init(packedBytes bytes: [UInt8], bits: Int) {
        precondition(bits % 8 == 0, "byte-packed codes need a multiple of 8 bits")
        let bytesPerCode = bits / 8
        precondition(bytes.count % bytesPerCode == 0, "\(bytes.count) bytes are not codes of \(bytesPerCode) bytes")
        let count = bytes.count / bytesPerCode
        let wordsPerCode = (bits + 63) / 64
        let buffer = CodeBuffer.make(wordCount: count * wordsPerCode) { words in
            for row in 0..<count {
                for b in 0..<bytesPerCode {
                    words[row * wordsPerCode + b / 8] |= UInt64(bytes[row * bytesPerCode + b]) << UInt64(8 * (b % 8))
                }
            }
        }
        self.init(bits: bits, count: count, buffer: buffer)
    }

    /// faiss's byte layout: `(bits + 7) / 8` bytes per code.
    public func packedBytes() -> [UInt8] {
        let bytesPerCode = (bits + 7) / 8
        var bytes = [UInt8](repeating: 0, count: count * bytesPerCode)
        for row in 0..<count {
            for b in 0..<bytesPerCode {
                bytes[row * bytesPerCode + b] = UInt8(truncatingIfNeeded: buffer.words[row * wordsPerCode + b / 8] >> UInt64(8 * (b % 8)))
            }
        }
        return bytes
    }

    /// The words of code `index`.
    public func code(_ index: Int) -> UnsafeBufferPointer<UInt64> {
        precondition(index >= 0 && index < count, "code \(index) out of 0..<\(count)")
        return UnsafeBufferPointer(start: buffer.words + index * wordsPerCode, count: wordsPerCode)
    }

    public func bit(_ j: Int, ofCode index: Int) -> Bool {
        precondition(j >= 0 && j < bits)
        return code(index)[j / 64] >> UInt64(j % 64) & 1 == 1
    }

    /// Codes `range` as a new set sharing nothing with this one.
    public func subset(_ indices: some Sequence<Int>) -> BinaryCodes {
        var words: [UInt64] = []
        for index in indices { words += code(index) }
        return BinaryCodes(bits: bits, words: words)
    }

    /// Hamming distance between code `i` here and code `j` of `other`.
    public func distance(_ i: Int, to other: BinaryCodes, _ j: Int) -> Int {
        precondition(other.bits == bits, "\(bits)-bit and \(other.bits)-bit codes cannot be compared")
        let a = code(i), b = other.code(j)
        var total = 0
        for w in 0..<wordsPerCode { total += (a[w] ^ b[w]).nonzeroBitCount }
        return total
    }
}
