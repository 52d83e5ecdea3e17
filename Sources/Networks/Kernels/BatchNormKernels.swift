import Basics
// Batch normalisation over (N, C, S) (S = H*W for BatchNorm2d, 1 or L for BatchNorm1d): every
// channel c is normalised over its N*S values. Channels are independent, so large tensors are
// split over the cores by channel. Statistics accumulate in Double: each image's run of S values
// is summed in eight-lane Float partial sums (a serial Double sum waits on every add; it took a
// fifth of nin's training step), and the runs' sums are added in Double.

enum BatchNormKernels {
    struct Shape: Sendable {
        let batch: Int, channels: Int, spatial: Int
        var count: Int { batch * channels * spatial }
        /// Values per channel (the reduction size M).
        var perChannel: Int { batch * spatial }

        /// Calls `body` with each value run of channel c: for each image, S contiguous values.
        @inline(__always) func offset(image n: Int, channel c: Int) -> Int { (n * channels + c) * spatial }

        var workers: Int { Parallel.workerCount(for: count, minimumPerWorker: 32_768) }
    }

    /// Training forward. x: (N,C,S) -> y: (N,C,S), xhat: (N,C,S) (the normalised input, for
    /// backward), mean: (C), variance: (C) (biased, over M = N*S), invStd: (C) = 1/sqrt(var + eps).
    static func trainingForward(x: SharedPointer, gamma: SharedPointer, beta: SharedPointer, eps: Float,
                                y: SharedMutablePointer, xhat: SharedMutablePointer, mean: SharedMutablePointer,
                                variance: SharedMutablePointer, invStd: SharedMutablePointer, shape s: Shape) {
        Parallel.forEachRange(count: s.channels, workers: min(s.workers, s.channels)) { _, channels in
            for c in channels {
                var total = 0.0
                for n in 0..<s.batch { total += sum(x.base + s.offset(image: n, channel: c), s.spatial) }
                let mu = total / Double(s.perChannel)
                var squares = 0.0
                for n in 0..<s.batch {
                    squares += squaredDeviations(x.base + s.offset(image: n, channel: c), s.spatial, from: mu)
                }
                let sigma2 = squares / Double(s.perChannel)
                let inv = Float(1 / (sigma2 + Double(eps)).squareRoot())
                mean.base[c] = Float(mu); variance.base[c] = Float(sigma2); invStd.base[c] = inv
                normalise(c, x: x, mean: Float(mu), invStd: inv, gamma: gamma.base[c], beta: beta.base[c],
                          y: y, xhat: xhat, shape: s)
            }
        }
    }

    /// Evaluation forward with fixed statistics (the running ones). x: (N,C,S) -> y, xhat: (N,C,S).
    static func inferenceForward(x: SharedPointer, gamma: SharedPointer, beta: SharedPointer, eps: Float,
                                 runningMean: SharedPointer, runningVariance: SharedPointer,
                                 y: SharedMutablePointer, xhat: SharedMutablePointer, invStd: SharedMutablePointer,
                                 shape s: Shape) {
        Parallel.forEachRange(count: s.channels, workers: min(s.workers, s.channels)) { _, channels in
            for c in channels {
                let inv = 1 / (runningVariance.base[c] + eps).squareRoot()
                invStd.base[c] = inv
                normalise(c, x: x, mean: runningMean.base[c], invStd: inv, gamma: gamma.base[c], beta: beta.base[c],
                          y: y, xhat: xhat, shape: s)
            }
        }
    }

    @inline(__always)
    private static func normalise(_ c: Int, x: SharedPointer, mean: Float, invStd: Float, gamma: Float, beta: Float,
                                  y: SharedMutablePointer, xhat: SharedMutablePointer, shape s: Shape) {
        for n in 0..<s.batch {
            let offset = s.offset(image: n, channel: c)
            let src = x.base + offset, normalised = xhat.base + offset, out = y.base + offset
            for i in 0..<s.spatial {
                let h = (src[i] - mean) * invStd
                normalised[i] = h
                out[i] = gamma * h + beta
            }
        }
    }

    /// dy: (N,C,S) -> dx: (N,C,S); dGamma (C) += sum(dy * xhat), dBeta (C) += sum(dy).
    /// Training mode differentiates through the batch statistics:
    ///   dx = gamma * invStd * (dy - mean(dy) - xhat * mean(dy * xhat));
    /// evaluation mode treats them as constants: dx = gamma * invStd * dy.
    static func backward(dy: SharedPointer, xhat: SharedPointer, gamma: SharedPointer, invStd: SharedPointer,
                         training: Bool, dx: SharedMutablePointer, dGamma: SharedMutablePointer,
                         dBeta: SharedMutablePointer, shape s: Shape) {
        Parallel.forEachRange(count: s.channels, workers: min(s.workers, s.channels)) { _, channels in
            for c in channels {
                var sumDy = 0.0, sumDyXhat = 0.0
                for n in 0..<s.batch {
                    let offset = s.offset(image: n, channel: c)
                    let (g, gh) = sumAndDot(dy.base + offset, xhat.base + offset, s.spatial)
                    sumDy += g
                    sumDyXhat += gh
                }
                dGamma.base[c] += Float(sumDyXhat)
                dBeta.base[c] += Float(sumDy)
                let scale = gamma.base[c] * invStd.base[c]
                let meanDy = training ? Float(sumDy / Double(s.perChannel)) : 0
                let meanDyXhat = training ? Float(sumDyXhat / Double(s.perChannel)) : 0
                for n in 0..<s.batch {
                    let offset = s.offset(image: n, channel: c)
                    let g = dy.base + offset, h = xhat.base + offset, out = dx.base + offset
                    for i in 0..<s.spatial { out[i] = scale * (g[i] - meanDy - h[i] * meanDyXhat) }
                }
            }
        }
    }

    // MARK: the sums of one run

    private typealias V = SIMD8<Float>
    @inline(__always) private static func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }

    /// The sum of run[i], i < count.
    @inline(__always)
    private static func sum(_ run: UnsafePointer<Float>, _ count: Int) -> Double {
        var a0 = V(), a1 = V(), i = 0
        while i + 16 <= count { a0 += load(run + i); a1 += load(run + i + 8); i += 16 }
        var total = Double((a0 + a1).sum())
        while i < count { total += Double(run[i]); i += 1 }
        return total
    }

    /// The sum of (run[i] - mean)^2, i < count.
    @inline(__always)
    private static func squaredDeviations(_ run: UnsafePointer<Float>, _ count: Int, from mean: Double) -> Double {
        let m = V(repeating: Float(mean))
        var a0 = V(), a1 = V(), i = 0
        while i + 16 <= count {
            let d0 = load(run + i) - m, d1 = load(run + i + 8) - m
            a0 += d0 * d0; a1 += d1 * d1
            i += 16
        }
        var total = Double((a0 + a1).sum())
        while i < count {
            let d = Double(run[i]) - mean
            total += d * d
            i += 1
        }
        return total
    }

    /// The sum of a[i] and the sum of a[i] * b[i], i < count.
    @inline(__always)
    private static func sumAndDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> (Double, Double) {
        var s0 = V(), s1 = V(), d0 = V(), d1 = V(), i = 0
        while i + 16 <= count {
            let x0 = load(a + i), x1 = load(a + i + 8)
            s0 += x0; s1 += x1
            d0 += x0 * load(b + i); d1 += x1 * load(b + i + 8)
            i += 16
        }
        var total = Double((s0 + s1).sum()), dot = Double((d0 + d1).sum())
        while i < count {
            total += Double(a[i])
            dot += Double(a[i]) * Double(b[i])
            i += 1
        }
        return (total, dot)
    }
}
