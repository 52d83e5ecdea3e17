extension RGBImage {
    /// This image at `width` x `height`: area averaging on an axis that shrinks, bilinear on
    /// an axis that grows (conventions in `ResampleAxis`). Separable: rows first, then columns,
    /// with Float intermediates and one rounding at the end.
    public func resized(width newWidth: Int, height newHeight: Int) -> RGBImage {
        precondition(newWidth > 0 && newHeight > 0, "resize target must be positive, got \(newWidth)x\(newHeight)")
        if newWidth == width && newHeight == height { return self }
        let horizontal = ResampleAxis(source: width, destination: newWidth)
        let vertical = ResampleAxis(source: height, destination: newHeight)

        // Pass 1: (height, width, 3) bytes -> (height, newWidth, 3) floats.
        var rows = [Float](repeating: 0, count: height * newWidth * 3)
        pixels.withUnsafeBufferPointer { src in
            rows.withUnsafeMutableBufferPointer { dst in
                for y in 0..<height {
                    let srcRow = y * width * 3, dstRow = y * newWidth * 3
                    for x in 0..<newWidth {
                        var r: Float = 0, g: Float = 0, b: Float = 0
                        for t in 0..<horizontal.taps {
                            let w = horizontal.weights[x * horizontal.taps + t]
                            if w == 0 { continue }
                            let i = srcRow + horizontal.index(x, tap: t) * 3
                            r += w * Float(src[i]); g += w * Float(src[i + 1]); b += w * Float(src[i + 2])
                        }
                        let o = dstRow + x * 3
                        dst[o] = r; dst[o + 1] = g; dst[o + 2] = b
                    }
                }
            }
        }

        // Pass 2: (height, newWidth, 3) floats -> (newHeight, newWidth, 3) bytes.
        let rowLength = newWidth * 3
        var output = [UInt8](repeating: 0, count: newHeight * rowLength)
        var accumulator = [Float](repeating: 0, count: rowLength)
        rows.withUnsafeBufferPointer { src in
            output.withUnsafeMutableBufferPointer { dst in
                accumulator.withUnsafeMutableBufferPointer { acc in
                    for y in 0..<newHeight {
                        for k in 0..<rowLength { acc[k] = 0 }
                        for t in 0..<vertical.taps {
                            let w = vertical.weights[y * vertical.taps + t]
                            if w == 0 { continue }
                            let row = vertical.index(y, tap: t) * rowLength
                            for k in 0..<rowLength { acc[k] += w * src[row + k] }
                        }
                        let o = y * rowLength
                        for k in 0..<rowLength { dst[o + k] = clampToByte(acc[k]) }
                    }
                }
            }
        }
        return RGBImage(width: newWidth, height: newHeight, pixels: output)
    }

    /// The largest size with this image's aspect ratio that fits in `maxWidth` x `maxHeight`
    /// (at least 1 x 1).
    public func fittingSize(maxWidth: Int, maxHeight: Int) -> (width: Int, height: Int) {
        precondition(maxWidth > 0 && maxHeight > 0, "fit box must be positive")
        let scale = min(Double(maxWidth) / Double(width), Double(maxHeight) / Double(height))
        let w = min(maxWidth, max(1, Int((Double(width) * scale).rounded())))
        let h = min(maxHeight, max(1, Int((Double(height) * scale).rounded())))
        return (w, h)
    }
}
