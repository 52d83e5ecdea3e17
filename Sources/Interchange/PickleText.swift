/// The text forms of protocol 0 (INT, LONG, STRING, UNICODE) and arbitrary-size integers.
enum PickleText {
    /// CPython's own limit for converting decimal text to int (sys.int_info.default_max_str_digits);
    /// it also bounds our quadratic conversion.
    static let maxDigits = 4300

    /// Decimal text with an optional sign and surrounding whitespace, as `repr(int)` writes it.
    static func integer(decimal line: [UInt8]) -> PickleValue? {
        let text = trimmed(line)
        if let value = Int(text) { return .int(value) }
        var digits = Substring(text)
        var negative = false
        if let sign = digits.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty, digits.count <= maxDigits, digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        // Magnitude in 32-bit limbs, least significant first.
        var limbs: [UInt32] = [0]
        for digit in digits.utf8 {
            var carry = UInt64(digit - 0x30)
            for i in limbs.indices {
                let product = UInt64(limbs[i]) * 10 + carry
                limbs[i] = UInt32(truncatingIfNeeded: product)
                carry = product >> 32
            }
            if carry > 0 { limbs.append(UInt32(carry)) }
        }
        var bytes: [UInt8] = []
        for limb in limbs { for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: limb >> shift)) } }
        bytes.append(0)  // a clear sign bit
        if negative {
            var carry = 1
            for i in bytes.indices {
                let sum = Int(~bytes[i]) + carry
                bytes[i] = UInt8(truncatingIfNeeded: sum)
                carry = sum >> 8
            }
        }
        return integer(littleEndian: bytes)
    }

    /// Two's complement little-endian bytes (LONG1, LONG4): an Int when it fits.
    static func integer(littleEndian bytes: [UInt8]) -> PickleValue {
        // Drop bytes that only repeat the sign.
        var end = bytes.count
        while end > 1 {
            let top = bytes[end - 1], next = bytes[end - 2]
            if (top == 0 && next & 0x80 == 0) || (top == 0xFF && next & 0x80 != 0) { end -= 1 } else { break }
        }
        if end == 0 { return .int(0) }
        guard end <= 8 else { return .bigInt(PickleBigInt(littleEndian: Array(bytes[0..<end]))) }
        var value: UInt64 = bytes[end - 1] & 0x80 != 0 ? ~0 : 0
        for i in (0..<end).reversed() { value = value << 8 | UInt64(bytes[i]) }
        return .int(Int(Int64(bitPattern: value)))
    }

    /// Python's `codecs.escape_decode`, which STRING arguments (Python 2 str reprs) use;
    /// nil for a bad `\x` escape or a trailing backslash, which Python rejects too.
    static func unescape(_ text: [UInt8]) -> [UInt8]? {
        var result: [UInt8] = []
        result.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            let c = text[i]
            i += 1
            guard c == UInt8(ascii: "\\") else { result.append(c); continue }
            guard i < text.count else { return nil }
            let e = text[i]
            i += 1
            switch e {
            case UInt8(ascii: "\n"): break
            case UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""): result.append(e)
            case UInt8(ascii: "a"): result.append(7)
            case UInt8(ascii: "b"): result.append(8)
            case UInt8(ascii: "f"): result.append(12)
            case UInt8(ascii: "n"): result.append(10)
            case UInt8(ascii: "r"): result.append(13)
            case UInt8(ascii: "t"): result.append(9)
            case UInt8(ascii: "v"): result.append(11)
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                var value = Int(e - 0x30)
                var count = 1
                while count < 3, i < text.count, (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(text[i]) {
                    value = value * 8 + Int(text[i] - 0x30)
                    i += 1
                    count += 1
                }
                result.append(UInt8(truncatingIfNeeded: value))
            case UInt8(ascii: "x"):
                guard i + 2 <= text.count, let high = hexValue(text[i]), let low = hexValue(text[i + 1]) else { return nil }
                result.append(high << 4 | low)
                i += 2
            default:
                result.append(c)
                result.append(e)
            }
        }
        return result
    }

    /// Python's `raw-unicode-escape`, which UNICODE arguments use: `\uXXXX` and `\UXXXXXXXX`
    /// escapes, every other byte a Latin-1 character. Lone surrogates become U+FFFD.
    static func rawUnicodeUnescape(_ text: [UInt8]) -> String {
        var scalars: [UInt32] = []
        var i = 0
        while i < text.count {
            if text[i] == UInt8(ascii: "\\"), i + 1 < text.count, text[i + 1] == UInt8(ascii: "u") || text[i + 1] == UInt8(ascii: "U") {
                let width = text[i + 1] == UInt8(ascii: "u") ? 4 : 8
                if i + 2 + width <= text.count, let value = hexNumber(text[i + 2..<i + 2 + width]) {
                    scalars.append(value)
                    i += 2 + width
                    continue
                }
            }
            scalars.append(UInt32(text[i]))
            i += 1
        }
        var result = String.UnicodeScalarView()
        var k = 0
        while k < scalars.count {
            var value = scalars[k]
            if (0xD800..<0xDC00).contains(value), k + 1 < scalars.count, (0xDC00..<0xE000).contains(scalars[k + 1]) {
                value = 0x10000 + ((value - 0xD800) << 10) + (scalars[k + 1] - 0xDC00)
                k += 1
            }
            result.append(Unicode.Scalar(value) ?? "\u{FFFD}")
            k += 1
        }
        return String(result)
    }

    /// Without leading and trailing spaces, tabs, newlines and carriage returns.
    static func trimmed(_ line: [UInt8]) -> String {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || (0x09...0x0D).contains($0) }
        guard let first = line.firstIndex(where: { !isSpace($0) }), let last = line.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(decoding: line[first...last], as: UTF8.self)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    private static func hexNumber(_ digits: ArraySlice<UInt8>) -> UInt32? {
        var value: UInt32 = 0
        for digit in digits {
            guard let nibble = hexValue(digit) else { return nil }
            value = value << 4 | UInt32(nibble)
        }
        return value
    }
}
