import CImageCodecs

/// Baseline JPEG encoding through libjpeg (contact sheets, re-compression, test images).
public enum JPEGEncoder {
    public static func encode(_ image: RGBImage, quality: Int = 90) throws(ImageError) -> [UInt8] {
        precondition((1...100).contains(quality), "JPEG quality is 1...100")
        var status = hs_codec_status()
        var output: UnsafeMutablePointer<UInt8>?
        var length = 0
        let code = image.pixels.withUnsafeBufferPointer {
            hs_jpeg_encode_rgb($0.baseAddress, UInt32(image.width), UInt32(image.height), Int32(quality),
                               &output, &length, &status)
        }
        guard code == Int32(HS_CODEC_OK.rawValue), let output else {
            throw ImageDecoder.imageError(status, source: "JPEG encoder")
        }
        defer { hs_codec_free(output) }
        return Array(UnsafeBufferPointer(start: output, count: length))
    }
}
