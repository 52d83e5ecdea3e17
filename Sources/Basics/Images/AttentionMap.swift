/// A model's attention over an image: `height` x `width` floats, row-major, any range.
public struct AttentionMap: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public var values: [Float]

    public init(width: Int, height: Int, values: [Float]) {
        precondition(width > 0 && height > 0, "attention map size must be positive")
        precondition(values.count == width * height, "attention values do not match \(width)x\(height)")
        self.width = width
        self.height = height
        self.values = values
    }

    /// The smallest and largest finite values; nil when none is finite.
    public var finiteRange: (min: Float, max: Float)? {
        var low = Float.infinity, high = -Float.infinity
        for value in values where value.isFinite {
            low = Swift.min(low, value)
            high = Swift.max(high, value)
        }
        return low <= high ? (low, high) : nil
    }

    /// Min-max scaled to 0...1. A constant map (nothing stands out) becomes all 0, and
    /// non-finite values become 0, so a degenerate map never yields NaN.
    public func normalised() -> AttentionMap {
        guard let (low, high) = finiteRange, high > low else {
            return AttentionMap(width: width, height: height, values: [Float](repeating: 0, count: values.count))
        }
        let scale = 1 / (high - low)
        return AttentionMap(width: width, height: height, values: values.map { value in
            value.isFinite ? Swift.min(1, Swift.max(0, (value - low) * scale)) : 0
        })
    }

    /// Resampled to `newWidth` x `newHeight`: bilinear when enlarging (the usual case, a 7x7 map
    /// onto a photo), area averaging when shrinking; the pixel-centre convention of `ResampleAxis`.
    public func resampled(width newWidth: Int, height newHeight: Int) -> AttentionMap {
        precondition(newWidth > 0 && newHeight > 0, "resample target must be positive")
        if newWidth == width && newHeight == height { return self }
        let horizontal = ResampleAxis(source: width, destination: newWidth)
        let vertical = ResampleAxis(source: height, destination: newHeight)
        var rows = [Float](repeating: 0, count: height * newWidth)
        for y in 0..<height {
            for x in 0..<newWidth {
                var sum: Float = 0
                for t in 0..<horizontal.taps {
                    let w = horizontal.weights[x * horizontal.taps + t]
                    if w != 0 { sum += w * values[y * width + horizontal.index(x, tap: t)] }
                }
                rows[y * newWidth + x] = sum
            }
        }
        var output = [Float](repeating: 0, count: newHeight * newWidth)
        for y in 0..<newHeight {
            for t in 0..<vertical.taps {
                let w = vertical.weights[y * vertical.taps + t]
                if w == 0 { continue }
                let row = vertical.index(y, tap: t) * newWidth
                for x in 0..<newWidth { output[y * newWidth + x] += w * rows[row + x] }
            }
        }
        return AttentionMap(width: newWidth, height: newHeight, values: output)
    }
}
