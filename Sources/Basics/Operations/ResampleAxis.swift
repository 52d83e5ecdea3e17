/// The weights that turn one axis of `source` samples into `destination` samples.
///
/// Pixel-centre convention (shared with scripts/reference_image_ops.py): pixel i covers the
/// interval [i, i + 1) and its centre is i + 0.5. Scaling maps the edges of the image onto
/// each other (not the centres of the corner pixels, i.e. `align_corners=False`).
/// - Shrinking: area averaging. Output i covers [i * s, (i + 1) * s) in source units
///   (s = source / destination); each source pixel weighs by its overlap / s. An integer factor
///   is therefore an exact box average.
/// - Enlarging: bilinear. Output i samples x = (i + 0.5) * s - 0.5, clamped to [0, source - 1],
///   between floor(x) and floor(x) + 1.
/// - Equal sizes: the identity.
/// Resizing is separable, so one table per axis does both area and bilinear resampling.
struct ResampleAxis: Sendable {
    let source: Int
    let destination: Int
    /// Taps per output sample (unused taps have weight 0 and index `first`).
    let taps: Int
    /// First source index of each output sample.
    let first: [Int]
    /// `taps` weights per output sample, summing to 1.
    let weights: [Float]

    init(source: Int, destination: Int) {
        precondition(source > 0 && destination > 0, "resample sizes must be positive")
        self.source = source
        self.destination = destination
        let scale = Double(source) / Double(destination)
        if destination == source {
            taps = 1
            first = Array(0..<source)
            weights = [Float](repeating: 1, count: source)
        } else if destination < source {
            // A span of `scale` source pixels starting anywhere touches at most ceil(scale) + 1.
            let width = Int(scale.rounded(.up)) + 1
            var first = [Int](repeating: 0, count: destination)
            var weights = [Float](repeating: 0, count: destination * width)
            for i in 0..<destination {
                let lo = Double(i) * scale, hi = Double(i + 1) * scale
                let start = Int(lo.rounded(.down))
                let end = min(source, Int(hi.rounded(.up)))
                first[i] = start
                for j in start..<end {
                    let overlap = min(Double(j + 1), hi) - max(Double(j), lo)
                    if overlap > 0 { weights[i * width + (j - start)] = Float(overlap / scale) }
                }
            }
            taps = width
            self.first = first
            self.weights = weights
        } else {
            var first = [Int](repeating: 0, count: destination)
            var weights = [Float](repeating: 0, count: destination * 2)
            for i in 0..<destination {
                let x = min(max((Double(i) + 0.5) * scale - 0.5, 0), Double(source - 1))
                let j = min(Int(x.rounded(.down)), source - 1)
                let f = x - Double(j)
                first[i] = j
                weights[2 * i] = Float(1 - f)
                // At the last pixel f is 0; keep the second tap inside the image anyway.
                if j + 1 < source { weights[2 * i + 1] = Float(f) } else { weights[2 * i] = 1 }
            }
            taps = 2
            self.first = first
            self.weights = weights
        }
    }

    /// The source index of tap `t` of output `i` (always inside the image).
    @inline(__always)
    func index(_ i: Int, tap t: Int) -> Int { min(first[i] + t, source - 1) }
}

/// The one rounding rule of the image operations: round half up, then clamp to 0...255
/// (numpy: np.clip(np.floor(v + 0.5), 0, 255)).
@inline(__always)
public func clampToByte(_ value: Float) -> UInt8 {
    let rounded = (value + 0.5).rounded(.down)
    return rounded <= 0 ? 0 : rounded >= 255 ? 255 : UInt8(rounded)
}

@inline(__always)
public func clampToByte(_ value: Double) -> UInt8 {
    let rounded = (value + 0.5).rounded(.down)
    return rounded <= 0 ? 0 : rounded >= 255 ? 255 : UInt8(rounded)
}
