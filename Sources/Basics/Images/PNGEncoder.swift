import CImageCodecs

/// Lossless PNG encoding through libpng (screenshots of the explorer, where JPEG would smear
/// the text).
public enum PNGEncoder {
    public static func encode(_ image: RGBImage) throws(ImageError) -> [UInt8] {
        var status = hs_codec_status()
        var output: UnsafeMutablePointer<UInt8>?
        var length = 0
        let code = image.pixels.withUnsafeBufferPointer {
            hs_png_encode_rgb($0.baseAddress, UInt32(image.width), UInt32(image.height), &output, &length, &status)
        }
        guard code == Int32(HS_CODEC_OK.rawValue), let output else {
            throw ImageDecoder.imageError(status, source: "PNG encoder")
        }
        defer { hs_codec_free(output) }
        return Array(UnsafeBufferPointer(start: output, count: length))
    }
}
