extension RGBImage {
    /// This image after a round trip through baseline JPEG at `quality` (1...100): the
    /// compression artefacts a re-saved or re-shared photo carries.
    public func recompressedJPEG(quality: Int) throws(ImageError) -> RGBImage {
        precondition((1...100).contains(quality), "JPEG quality must be in 1...100")
        let bytes = try JPEGEncoder.encode(self, quality: quality)
        return try ImageDecoder.decode(bytes, source: "JPEG re-compression at quality \(quality)")
    }
}
