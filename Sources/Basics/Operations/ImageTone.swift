extension RGBImage {
    /// Every channel value multiplied by `factor` (1 = unchanged), rounded half up and clamped.
    public func brightness(_ factor: Double) -> RGBImage {
        precondition(factor >= 0 && factor.isFinite, "brightness factor must be finite and >= 0")
        if factor == 1 { return self }
        return mapChannels { clampToByte(Double($0) * factor) }
    }

    /// Contrast scaled by `factor` around the mean grey (1 = unchanged, 0 = flat mean grey):
    /// v' = m + factor * (v - m), rounded half up and clamped, where m is the mean over all
    /// pixels of the ITU-R 601 luma 0.299 R + 0.587 G + 0.114 B (as Pillow's ImageEnhance.Contrast,
    /// but with the mean kept as a real number).
    public func contrast(_ factor: Double) -> RGBImage {
        precondition(factor >= 0 && factor.isFinite, "contrast factor must be finite and >= 0")
        if factor == 1 { return self }
        let mean = meanGrey
        return mapChannels { clampToByte(mean + factor * (Double($0) - mean)) }
    }

    /// The mean ITU-R 601 luma of the image, 0...255.
    public var meanGrey: Double {
        var total = 0.0
        for p in stride(from: 0, to: pixels.count, by: 3) {
            total += 0.299 * Double(pixels[p]) + 0.587 * Double(pixels[p + 1]) + 0.114 * Double(pixels[p + 2])
        }
        return total / Double(width * height)
    }

    /// The same transfer applied to every channel value, through a 256-entry table.
    func mapChannels(_ transfer: (UInt8) -> UInt8) -> RGBImage {
        let table = (0...255).map { transfer(UInt8($0)) }
        return RGBImage(width: width, height: height, pixels: pixels.map { table[Int($0)] })
    }
}
