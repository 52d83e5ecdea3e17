/// Binary Netpbm: P6 (RGB) and P5 (grey), 8- or 16-bit samples (16-bit is big-endian,
/// scaled to 8 bits). Header: magic, width, height, maxval, separated by whitespace and
/// `#` comments, then exactly one whitespace byte before the samples.
public enum PPMCodec {
    public static func decode(_ bytes: [UInt8], source: String) throws(ImageError) -> RGBImage {
        var cursor = 2
        func field(_ name: String) throws(ImageError) -> Int {
            // Skip whitespace and comments.
            while cursor < bytes.count {
                let c = bytes[cursor]
                if c == UInt8(ascii: "#") {
                    while cursor < bytes.count, bytes[cursor] != UInt8(ascii: "\n") { cursor += 1 }
                } else if c == 0x20 || (0x09...0x0D).contains(c) {
                    cursor += 1
                } else { break }
            }
            var value = 0, digits = 0
            while cursor < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[cursor]) {
                value = value * 10 + Int(bytes[cursor] - UInt8(ascii: "0"))
                digits += 1
                cursor += 1
                if value > Int(UInt32.max) { throw ImageError(source: source, problem: .corrupt("PPM \(name) is out of range")) }
            }
            guard digits > 0 else {
                if cursor >= bytes.count { throw ImageError(source: source, problem: .truncated("PPM header ends before its \(name)")) }
                throw ImageError(source: source, problem: .corrupt("PPM header has no valid \(name)"))
            }
            return value
        }
        let channels = bytes[1] == UInt8(ascii: "6") ? 3 : 1
        let width = try field("width")
        let height = try field("height")
        let maxValue = try field("maxval")
        guard (1...65535).contains(maxValue) else {
            throw ImageError(source: source, problem: .corrupt("PPM maxval \(maxValue) is not in 1...65535"))
        }
        try ImageDecoder.checkDeclaredSize(width: width, height: height, source: source)
        cursor += 1  // the single whitespace byte after maxval
        let sampleBytes = maxValue > 255 ? 2 : 1
        let needed = width * height * channels * sampleBytes
        guard bytes.count - min(cursor, bytes.count) >= needed else {
            throw ImageError(source: source, problem: .truncated(
                "PPM data has \(max(0, bytes.count - cursor)) bytes, \(width)x\(height) needs \(needed)"))
        }
        var samples = [UInt8](repeating: 0, count: width * height * channels)
        for i in 0..<samples.count {
            let raw = sampleBytes == 2
                ? Int(bytes[cursor + 2 * i]) << 8 | Int(bytes[cursor + 2 * i + 1])
                : Int(bytes[cursor + i])
            samples[i] = UInt8((min(raw, maxValue) * 255 + maxValue / 2) / maxValue)
        }
        return channels == 3
            ? RGBImage(width: width, height: height, pixels: samples)
            : RGBImage(width: width, height: height, grey: samples)
    }

    /// P6 with maxval 255.
    public static func encode(_ image: RGBImage) -> [UInt8] {
        Array("P6\n\(image.width) \(image.height)\n255\n".utf8) + image.pixels
    }
}
