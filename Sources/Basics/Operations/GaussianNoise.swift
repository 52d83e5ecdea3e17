extension RGBImage {
    /// Independent Gaussian noise of standard deviation `sigma` (in 0-255 levels) added to every
    /// channel value, rounded half up and clamped. Draws come from Render's `SeededGenerator`
    /// (xoshiro256**, normals in Double), so the same seed gives the same image on every machine.
    public func withGaussianNoise(sigma: Double, seed: UInt64) -> RGBImage {
        precondition(sigma >= 0 && sigma.isFinite, "noise sigma must be finite and >= 0")
        if sigma == 0 { return self }
        var generator = SeededGenerator(seed: seed)
        var output = pixels
        for i in output.indices {
            output[i] = clampToByte(Double(output[i]) + sigma * generator.nextNormalDouble())
        }
        return RGBImage(width: width, height: height, pixels: output)
    }
}
