import CImageCodecs

/// The image formats we decode, recognised by their first bytes (never by the file name).
public enum ImageFormat: String, Sendable {
    case jpeg, png, ppm

    public static func sniff(_ bytes: some Collection<UInt8>) -> ImageFormat? {
        let head = Array(bytes.prefix(8))
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if head.count >= 2, head[0] == UInt8(ascii: "P"), head[1] == UInt8(ascii: "6") || head[1] == UInt8(ascii: "5") {
            return .ppm
        }
        return nil
    }
}

/// Decodes JPEG (libjpeg), PNG (libpng) and binary PPM/PGM into RGB8. Grey becomes RGB.
public enum ImageDecoder {
    public static func decode(file path: String) throws(ImageError) -> RGBImage {
        let bytes: [UInt8]
        do { bytes = try FileBytes.read(path) } catch { throw ImageError(source: path, problem: .unreadable(error.reason)) }
        return try decode(bytes, source: path)
    }

    /// `source` names the data in errors (a path, or a record inside a file).
    public static func decode(_ bytes: [UInt8], source: String) throws(ImageError) -> RGBImage {
        guard !bytes.isEmpty else { throw ImageError(source: source, problem: .empty) }
        switch ImageFormat.sniff(bytes) {
        case .jpeg: return try decodeJPEG(bytes, source: source)
        case .png: return try decodePNG(bytes, source: source)
        case .ppm: return try PPMCodec.decode(bytes, source: source)
        case nil:
            let start = bytes.prefix(4).map { String(format2hex: $0) }.joined(separator: " ")
            throw ImageError(source: source, problem: .unknownFormat(start))
        }
    }

    /// The size check every decoder makes between reading the header and allocating pixels.
    static func checkDeclaredSize(width: Int, height: Int, source: String) throws(ImageError) {
        guard width > 0, height > 0 else {
            throw ImageError(source: source, problem: .corrupt("header declares \(width)x\(height) pixels"))
        }
        guard width.multipliedReportingOverflow(by: height).partialValue <= RGBImage.maxPixelCount,
              width <= RGBImage.maxPixelCount, height <= RGBImage.maxPixelCount else {
            throw ImageError(source: source, problem: .tooLarge(width: width, height: height))
        }
    }

    static func imageError(_ status: hs_codec_status, source: String) -> ImageError {
        let message = withUnsafeBytes(of: status.message) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        switch status.code {
        case HS_CODEC_TRUNCATED: return ImageError(source: source, problem: .truncated(message))
        case HS_CODEC_UNSUPPORTED: return ImageError(source: source, problem: .unsupported(message))
        case HS_CODEC_NO_MEMORY: return ImageError(source: source, problem: .corrupt("out of memory while decoding"))
        default: return ImageError(source: source, problem: .corrupt(message))
        }
    }

    private static func decodeJPEG(_ bytes: [UInt8], source: String) throws(ImageError) -> RGBImage {
        var status = hs_codec_status()
        var width: UInt32 = 0, height: UInt32 = 0
        let result: Result<RGBImage, ImageError> = bytes.withUnsafeBufferPointer { data in
            guard let decoder = hs_jpeg_open(data.baseAddress, data.count, &width, &height, &status) else {
                return .failure(imageError(status, source: source))
            }
            defer { hs_jpeg_close(decoder) }
            do throws(ImageError) {
                try checkDeclaredSize(width: Int(width), height: Int(height), source: source)
            } catch { return .failure(error) }
            var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height) * 3)
            let code = pixels.withUnsafeMutableBufferPointer { hs_jpeg_read_rgb(decoder, $0.baseAddress, &status) }
            guard code == Int32(HS_CODEC_OK.rawValue) else { return .failure(imageError(status, source: source)) }
            return .success(RGBImage(width: Int(width), height: Int(height), pixels: pixels))
        }
        return try result.get()
    }

    private static func decodePNG(_ bytes: [UInt8], source: String) throws(ImageError) -> RGBImage {
        var status = hs_codec_status()
        var width: UInt32 = 0, height: UInt32 = 0
        let result: Result<RGBImage, ImageError> = bytes.withUnsafeBufferPointer { data in
            guard let decoder = hs_png_open(data.baseAddress, data.count, &width, &height, &status) else {
                return .failure(imageError(status, source: source))
            }
            defer { hs_png_close(decoder) }
            do throws(ImageError) {
                try checkDeclaredSize(width: Int(width), height: Int(height), source: source)
            } catch { return .failure(error) }
            var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height) * 3)
            let code = pixels.withUnsafeMutableBufferPointer { hs_png_read_rgb(decoder, $0.baseAddress, &status) }
            guard code == Int32(HS_CODEC_OK.rawValue) else { return .failure(imageError(status, source: source)) }
            return .success(RGBImage(width: Int(width), height: Int(height), pixels: pixels))
        }
        return try result.get()
    }
}

extension String {
    init(format2hex byte: UInt8) {
        let digits = Array("0123456789abcdef")
        self = String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }
}
