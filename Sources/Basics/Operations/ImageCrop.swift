extension RGBImage {
    /// The centred crop keeping `fraction` of each side: side' = max(1, floor(side * f + 0.5)),
    /// offset = (side - side') / 2 rounded down. The result is smaller, not resized back
    /// (a model's own preprocessing resizes to its input).
    public func croppedCentre(fraction: Double) -> RGBImage {
        precondition(fraction > 0 && fraction <= 1, "crop fraction must be in (0, 1]")
        let w = max(1, Int((Double(width) * fraction + 0.5).rounded(.down)))
        let h = max(1, Int((Double(height) * fraction + 0.5).rounded(.down)))
        if w == width && h == height { return self }
        // The box lies inside by construction.
        return croppedUnchecked(PixelRect(x: (width - w) / 2, y: (height - h) / 2, width: w, height: h))
    }

    /// The pixels inside `box`, which must lie wholly inside the image.
    public func cropped(to box: PixelRect) throws(ImageOperationError) -> RGBImage {
        guard box.width > 0, box.height > 0 else {
            throw ImageOperationError(operation: "crop", reason: "box \(box) is empty")
        }
        guard box.x >= 0, box.y >= 0, box.maxX <= width, box.maxY <= height else {
            throw ImageOperationError(operation: "crop", reason: "box \(box) is outside the \(width)x\(height) image")
        }
        return croppedUnchecked(box)
    }

    private func croppedUnchecked(_ box: PixelRect) -> RGBImage {
        var output = [UInt8](repeating: 0, count: box.width * box.height * 3)
        let rowBytes = box.width * 3
        for row in 0..<box.height {
            let from = ((box.y + row) * width + box.x) * 3
            output.replaceSubrange(row * rowBytes..<(row + 1) * rowBytes, with: pixels[from..<from + rowBytes])
        }
        return RGBImage(width: box.width, height: box.height, pixels: output)
    }
}
