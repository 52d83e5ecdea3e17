import Basics
// Depthwise convolution on small maps (EfficientNet-Lite's last stages: 10 x 10 and 5 x 5), with
// the batch in the vector lanes. On the stride phases a 5 x 5 map sits in rows of 9 (the kernel's
// overhang), so nearly half of every vector there is padding, and each tap pays a pass over the
// whole plane, per image. Here one channel's planes of all images are laid out pixel by pixel,
// images side by side (lanes = the batch rounded up to 8, the extra lanes zero), and each tap
// touches only the (output, input) pixel pairs it links inside the map: an output pixel (forward)
// or an input pixel's gradient (backward) is a sum over its pairs kept in registers, one store per
// pixel, and dW of a tap the dot of its pairs' rows. The layout costs a transpose of each plane in
// and out, cheap on small maps.
//
// Measured per layer (batch 64, two threads, best of 7, 2026-12-07; phases -> across images):
// backward 5 x 5 k5 18.8 -> 8.0 ms, 10 -> 5 k5 stride 2 24.0 -> 10.0, 5 x 5 k3 11.2 -> 9.3,
// 10 x 10 k5 28.2 -> 19.7, 10 x 10 k3 10.5 -> 9.6, 20 x 20 k3 17.1 -> 19.6; forward 5 x 5 k5
// 8.3 -> 5.8, 10 -> 5 k5 stride 2 6.9 -> 4.8, 5 x 5 k3 6.1 -> 5.0, 10 x 10 k5 9.2 -> 9.1,
// 10 x 10 k3 3.4 -> 4.1. The transposes weigh more in the forward pass (one pass of arithmetic,
// not two), so it takes the lanes only up to 8 x 8 outputs, the backward pass up to 10 x 10.

extension DepthwiseConvolution {
    /// Output planes up to these many pixels take the kernels here (see the top of the file).
    static let forwardAcrossImagesMaximumOutputPlane = 64, backwardAcrossImagesMaximumOutputPlane = 100

    /// Which (output pixel, input pixel) pairs each tap links inside the map, listed three ways:
    /// by output pixel (forward), by tap (dW) and by input pixel (dx), as offsets into one array.
    struct TapLinks {
        /// byOutput[outputStarts[p] ..< outputStarts[p + 1]]: (tap, input pixel) pairs of output pixel p.
        let outputStarts: [Int], byOutput: [(tap: Int, pixel: Int)]
        /// byTap[tapStarts[t] ..< tapStarts[t + 1]]: (output, input) pixel pairs of tap t.
        let tapStarts: [Int], byTap: [(output: Int, input: Int)]
        /// byInput[inputStarts[p] ..< inputStarts[p + 1]]: (tap, output pixel) pairs reading input pixel p.
        let inputStarts: [Int], byInput: [(tap: Int, pixel: Int)]

        init(_ g: WindowGeometry) {
            var perOutput = [[(tap: Int, pixel: Int)]](repeating: [], count: g.outputPlane)
            var perTap = [[(output: Int, input: Int)]](repeating: [], count: g.kernelArea)
            var perInput = [[(tap: Int, pixel: Int)]](repeating: [], count: g.inputPlane)
            for oh in 0..<g.outputHeight {
                for ow in 0..<g.outputWidth {
                    for i in 0..<g.kernelHeight {
                        let ih = oh * g.strideHeight + i - g.padding.top
                        guard ih >= 0 && ih < g.height else { continue }
                        for j in 0..<g.kernelWidth {
                            let iw = ow * g.strideWidth + j - g.padding.left
                            guard iw >= 0 && iw < g.width else { continue }
                            let tap = i * g.kernelWidth + j, output = oh * g.outputWidth + ow, input = ih * g.width + iw
                            perOutput[output].append((tap, input))
                            perTap[tap].append((output, input))
                            perInput[input].append((tap, output))
                        }
                    }
                }
            }
            outputStarts = perOutput.reduce(into: [0]) { $0.append($0.last! + $1.count) }
            byOutput = perOutput.flatMap { $0 }
            tapStarts = perTap.reduce(into: [0]) { $0.append($0.last! + $1.count) }
            byTap = perTap.flatMap { $0 }
            inputStarts = perInput.reduce(into: [0]) { $0.append($0.last! + $1.count) }
            byInput = perInput.flatMap { $0 }
        }
    }

    /// x: (N,C,H,W), weight: (K,1,kh,kw) with K = C * multiplier, bias: (K) or nil
    /// -> y: (N,K,H',W') (overwritten); any stride and multiplier; work split by input channel.
    static func forwardAcrossImages(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                    y: UnsafeMutablePointer<Float>, shape s: ConvolutionShape) {
        let px = SharedPointer(UnsafeBufferPointer(start: x, count: s.batch * s.inputImage))
        let pw = SharedPointer(UnsafeBufferPointer(start: weight, count: s.weightCount))
        let pb = bias.map { SharedPointer(UnsafeBufferPointer(start: $0, count: s.outChannels)) }
        let py = SharedMutablePointer(UnsafeMutableBufferPointer(start: y, count: s.batch * s.outputImage))
        let g = s.geometry, channels = g.channels, links = TapLinks(g)
        let workers = Parallel.workerCount(for: s.batch * s.outputImage * g.kernelArea, minimumPerWorker: 65_536)
        Parallel.forEachRange(count: channels, workers: min(workers, channels)) { _, range in
            guard !range.isEmpty else { return }
            let multiplier = s.outChannels / channels, area = g.kernelArea, batch = s.batch
            let lanes = (batch + 7) / 8 * 8
            let xs = UnsafeMutablePointer<Float>.allocate(capacity: g.inputPlane * lanes)
            defer { xs.deallocate() }
            xs.update(repeating: 0, count: g.inputPlane * lanes)
            let ys = UnsafeMutablePointer<Float>.allocate(capacity: g.outputPlane * lanes)
            defer { ys.deallocate() }
            links.byOutput.withUnsafeBufferPointer { byOutput in
                for c in range {
                    for n in 0..<batch {
                        transpose(px.base + (n * channels + c) * g.inputPlane, count: g.inputPlane, into: xs + n, stride: lanes)
                    }
                    for k in (c * multiplier)..<((c + 1) * multiplier) {
                        ys.update(repeating: pb.map { $0.base[k] } ?? 0, count: g.outputPlane * lanes)
                        for p in 0..<g.outputPlane {
                            let pairs = UnsafeBufferPointer(rebasing: byOutput[links.outputStarts[p]..<links.outputStarts[p + 1]])
                            addWeightedRows(pairs, weights: pw.base + k * area, xs, into: ys + p * lanes, lanes: lanes)
                        }
                        for n in 0..<batch {
                            let plane = py.base + (n * s.outChannels + k) * g.outputPlane
                            for p in 0..<g.outputPlane { plane[p] = ys[p * lanes + n] }
                        }
                    }
                }
            }
        }
    }

    /// dy: (N,K,H',W') -> dx: (N,C,H,W) (overwritten); dWeight (K,1,kh,kw) and dBias (K) are
    /// ADDED to; any stride and multiplier; work split by input channel.
    static func backwardAcrossImages(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                     dx: UnsafeMutablePointer<Float>, dWeight: UnsafeMutablePointer<Float>,
                                     dBias: UnsafeMutablePointer<Float>?, shape s: ConvolutionShape) {
        let px = SharedPointer(UnsafeBufferPointer(start: x, count: s.batch * s.inputImage))
        let pw = SharedPointer(UnsafeBufferPointer(start: weight, count: s.weightCount))
        let pdy = SharedPointer(UnsafeBufferPointer(start: dy, count: s.batch * s.outputImage))
        let pdx = SharedMutablePointer(UnsafeMutableBufferPointer(start: dx, count: s.batch * s.inputImage))
        let pdw = SharedMutablePointer(UnsafeMutableBufferPointer(start: dWeight, count: s.weightCount))
        let pdb = dBias.map { SharedMutablePointer(UnsafeMutableBufferPointer(start: $0, count: s.outChannels)) }
        let g = s.geometry, channels = g.channels, links = TapLinks(g)
        let workers = Parallel.workerCount(for: s.batch * s.outputImage * g.kernelArea, minimumPerWorker: 65_536)
        Parallel.forEachRange(count: channels, workers: min(workers, channels)) { _, range in
            guard !range.isEmpty else { return }
            let multiplier = s.outChannels / channels, area = g.kernelArea, batch = s.batch
            let lanes = (batch + 7) / 8 * 8
            // The extra lanes of xs and gs are never written, so they stay zero.
            let xs = UnsafeMutablePointer<Float>.allocate(capacity: g.inputPlane * lanes)
            defer { xs.deallocate() }
            xs.update(repeating: 0, count: g.inputPlane * lanes)
            let gs = UnsafeMutablePointer<Float>.allocate(capacity: g.outputPlane * lanes)
            defer { gs.deallocate() }
            gs.update(repeating: 0, count: g.outputPlane * lanes)
            let dxs = UnsafeMutablePointer<Float>.allocate(capacity: g.inputPlane * lanes)
            defer { dxs.deallocate() }
            links.byTap.withUnsafeBufferPointer { byTap in
                links.byInput.withUnsafeBufferPointer { byInput in
                    for c in range {
                        for n in 0..<batch {
                            transpose(px.base + (n * channels + c) * g.inputPlane, count: g.inputPlane, into: xs + n, stride: lanes)
                        }
                        dxs.update(repeating: 0, count: g.inputPlane * lanes)
                        for k in (c * multiplier)..<((c + 1) * multiplier) {
                            var total: Float = 0
                            for n in 0..<batch {
                                let plane = pdy.base + (n * s.outChannels + k) * g.outputPlane
                                transpose(plane, count: g.outputPlane, into: gs + n, stride: lanes)
                                for t in 0..<g.outputPlane { total += plane[t] }
                            }
                            pdb?.base[k] += total
                            for tap in 0..<area {
                                let pairs = UnsafeBufferPointer(rebasing: byTap[links.tapStarts[tap]..<links.tapStarts[tap + 1]])
                                pdw.base[k * area + tap] += pairDots(pairs, gs, xs, lanes: lanes)
                            }
                            for p in 0..<g.inputPlane {
                                let pairs = UnsafeBufferPointer(rebasing: byInput[links.inputStarts[p]..<links.inputStarts[p + 1]])
                                addWeightedRows(pairs, weights: pw.base + k * area, gs, into: dxs + p * lanes, lanes: lanes)
                            }
                        }
                        for n in 0..<batch {
                            let plane = pdx.base + (n * channels + c) * g.inputPlane
                            for p in 0..<g.inputPlane { plane[p] = dxs[p * lanes + n] }
                        }
                    }
                }
            }
        }
    }

    @inline(__always)
    private static func transpose(_ plane: UnsafePointer<Float>, count: Int, into column: UnsafeMutablePointer<Float>, stride: Int) {
        for p in 0..<count { column[p * stride] = plane[p] }
    }

    /// The sum over pairs of row gs[output] . row xs[input] (rows of `lanes`, a multiple of 8),
    /// in four independent accumulators.
    @inline(__always)
    private static func pairDots(_ pairs: UnsafeBufferPointer<(output: Int, input: Int)>, _ gs: UnsafePointer<Float>,
                                 _ xs: UnsafePointer<Float>, lanes: Int) -> Float {
        typealias V = SIMD8<Float>
        @inline(__always) func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
        var a0 = V(), a1 = V(), a2 = V(), a3 = V()
        for (output, input) in pairs {
            let gRow = gs + output * lanes, xRow = xs + input * lanes
            var v = 0
            while v + 32 <= lanes {
                a0 += load(gRow + v) * load(xRow + v)
                a1 += load(gRow + v + 8) * load(xRow + v + 8)
                a2 += load(gRow + v + 16) * load(xRow + v + 16)
                a3 += load(gRow + v + 24) * load(xRow + v + 24)
                v += 32
            }
            while v < lanes {
                a0 += load(gRow + v) * load(xRow + v)
                v += 8
            }
        }
        return ((a0 + a1) + (a2 + a3)).sum()
    }

    /// row += the sum over pairs of weights[tap] * row rows[pixel] (rows of `lanes`, a multiple
    /// of 8), 32 lanes at a time in registers.
    @inline(__always)
    private static func addWeightedRows(_ pairs: UnsafeBufferPointer<(tap: Int, pixel: Int)>, weights: UnsafePointer<Float>,
                                        _ rows: UnsafePointer<Float>, into row: UnsafeMutablePointer<Float>, lanes: Int) {
        typealias V = SIMD8<Float>
        @inline(__always) func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
        @inline(__always) func store(_ v: V, _ p: UnsafeMutablePointer<Float>) {
            UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
        }
        var v = 0
        while v + 32 <= lanes {
            var a0 = load(row + v), a1 = load(row + v + 8), a2 = load(row + v + 16), a3 = load(row + v + 24)
            for (tap, pixel) in pairs {
                let w = V(repeating: weights[tap]), source = rows + pixel * lanes + v
                a0 += w * load(source)
                a1 += w * load(source + 8)
                a2 += w * load(source + 16)
                a3 += w * load(source + 24)
            }
            store(a0, row + v); store(a1, row + v + 8); store(a2, row + v + 16); store(a3, row + v + 24)
            v += 32
        }
        while v < lanes {
            var a0 = load(row + v)
            for (tap, pixel) in pairs { a0 += V(repeating: weights[tap]) * load(rows + pixel * lanes + v) }
            store(a0, row + v)
            v += 8
        }
    }
}
