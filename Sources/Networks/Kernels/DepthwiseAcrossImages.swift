import Basics
// Depthwise convolution with the batch in the vector lanes, for EfficientNet-Lite's small maps.
// On the stride phases a 5 x 5 map sits in rows of 9 (the kernel's overhang), so nearly half of
// every vector there is padding, and each tap pays a pass over the whole plane, per image. Here
// one channel's planes of all images are laid out pixel by pixel, images side by side (lanes =
// the batch rounded up to 8, the extra lanes zero), and each tap touches only the (output, input)
// pixel pairs it links inside the map: an output pixel (forward) or an input pixel's gradient
// (backward) is a sum over its pairs kept in registers, one store per pixel, and dW of a tap the
// dot of its pairs' rows. The layout costs a transpose of each plane in and out, eight images at
// a time.
//
// Measured per layer (batch 64, two threads, best of 7, 2026-12-07 19:03 UTC, training paused;
// this machine's noise between runs is up to 20%; phases -> lanes): backward 5 x 5 k5 18.2 ->
// 5.0 ms, 10 -> 5 k5 stride 2 23.4 -> 8.1, 10 x 10 k5 27.6 -> 14.0, 10 x 10 k3 9.6 -> 6.1,
// 20 x 20 k5 29.9 -> 20.8, 40 x 40 k3 35.8 -> 30.6; forward 5 x 5 k5 5.7 -> 2.8, 10 -> 5 k5 stride
// 2 7.4 -> 4.1, but 10 x 10 k3 2.6 -> 3.2 and 20 x 20 k3 4.9 -> 6.6: one pass of arithmetic pays
// less for the transposes than the backward pass's two. So the backward pass takes the lanes up
// to 40 x 40 outputs (as far as measured), the forward pass up to 8 x 8.

extension DepthwiseConvolution {
    /// Output planes up to these many pixels take the kernels here (see the top of the file).
    static let forwardAcrossImagesMaximumOutputPlane = 64, backwardAcrossImagesMaximumOutputPlane = 1600

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
    static func forwardAcrossImages(_ o: ForwardOperands, shape s: ConvolutionShape) {
        let px = o.x, pw = o.weight, pb = o.bias, py = o.y
        let g = s.geometry, channels = g.channels, links = TapLinks(g)
        let workers = Parallel.workerCount(for: s.batch * s.outputImage * g.kernelArea, minimumPerWorker: 65_536)
        Parallel.forEachRange(count: channels, workers: min(workers, channels)) { _, range in
            guard !range.isEmpty else { return }
            let multiplier = s.outChannels / channels, area = g.kernelArea, batch = s.batch
            let lanes = lanesFor(batch), scratch = LaneRows(lanes: lanes, counts: [g.inputPlane, g.outputPlane])
            defer { scratch.free() }
            let xs = scratch.rows[0], ys = scratch.rows[1]
            links.byOutput.withUnsafeBufferPointer { byOutput in
                for c in range {
                    gather(px.base + c * g.inputPlane, planeStride: s.inputImage, images: batch, count: g.inputPlane, into: xs, lanes: lanes)
                    for k in (c * multiplier)..<((c + 1) * multiplier) {
                        ys.update(repeating: pb.map { $0.base[k] } ?? 0, count: g.outputPlane * lanes)
                        for p in 0..<g.outputPlane {
                            let pairs = UnsafeBufferPointer(rebasing: byOutput[links.outputStarts[p]..<links.outputStarts[p + 1]])
                            addWeightedRows(pairs, weights: pw.base + k * area, xs, into: ys + p * lanes, lanes: lanes)
                        }
                        scatter(ys, lanes: lanes, count: g.outputPlane, images: batch, into: py.base + k * g.outputPlane,
                                planeStride: s.outputImage)
                    }
                }
            }
        }
    }

    /// dy: (N,K,H',W') -> dx: (N,C,H,W) (overwritten); dWeight (K,1,kh,kw) and dBias (K) are
    /// ADDED to; any stride and multiplier; work split by input channel.
    static func backwardAcrossImages(_ o: BackwardOperands, shape s: ConvolutionShape) {
        let px = o.x, pw = o.weight, pdy = o.dy, pdx = o.dx, pdw = o.dWeight, pdb = o.dBias
        let g = s.geometry, channels = g.channels, links = TapLinks(g)
        let workers = Parallel.workerCount(for: s.batch * s.outputImage * g.kernelArea, minimumPerWorker: 65_536)
        Parallel.forEachRange(count: channels, workers: min(workers, channels)) { _, range in
            guard !range.isEmpty else { return }
            let multiplier = s.outChannels / channels, area = g.kernelArea, batch = s.batch
            let lanes = lanesFor(batch), scratch = LaneRows(lanes: lanes, counts: [g.inputPlane, g.outputPlane, g.inputPlane])
            defer { scratch.free() }
            let xs = scratch.rows[0], gs = scratch.rows[1], dxs = scratch.rows[2]
            links.byTap.withUnsafeBufferPointer { byTap in
                links.byInput.withUnsafeBufferPointer { byInput in
                    for c in range {
                        gather(px.base + c * g.inputPlane, planeStride: s.inputImage, images: batch, count: g.inputPlane, into: xs, lanes: lanes)
                        dxs.update(repeating: 0, count: g.inputPlane * lanes)
                        for k in (c * multiplier)..<((c + 1) * multiplier) {
                            gather(pdy.base + k * g.outputPlane, planeStride: s.outputImage, images: batch, count: g.outputPlane,
                                   into: gs, lanes: lanes)
                            pdb?.base[k] += sum(gs, count: g.outputPlane * lanes)
                            for tap in 0..<area {
                                let pairs = UnsafeBufferPointer(rebasing: byTap[links.tapStarts[tap]..<links.tapStarts[tap + 1]])
                                pdw.base[k * area + tap] += pairDots(pairs, gs, xs, lanes: lanes)
                            }
                            for p in 0..<g.inputPlane {
                                let pairs = UnsafeBufferPointer(rebasing: byInput[links.inputStarts[p]..<links.inputStarts[p + 1]])
                                addWeightedRows(pairs, weights: pw.base + k * area, gs, into: dxs + p * lanes, lanes: lanes)
                            }
                        }
                        scatter(dxs, lanes: lanes, count: g.inputPlane, images: batch, into: pdx.base + c * g.inputPlane,
                                planeStride: s.inputImage)
                    }
                }
            }
        }
    }

    /// The batch rounded up to whole vectors.
    private static func lanesFor(_ batch: Int) -> Int { (batch + 7) / 8 * 8 }

    /// One worker's planes in the lanes (`counts[i]` rows of `lanes` floats each), in one
    /// allocation, zeroed: the lanes past the batch are never written, so they stay zero.
    private struct LaneRows {
        let rows: [UnsafeMutablePointer<Float>]
        private let base: UnsafeMutablePointer<Float>

        init(lanes: Int, counts: [Int]) {
            let total = counts.reduce(0, +) * lanes
            let base = UnsafeMutablePointer<Float>.allocate(capacity: total)
            base.update(repeating: 0, count: total)
            var starts = [base]
            for count in counts.dropLast() { starts.append(starts.last! + count * lanes) }
            self.base = base
            rows = starts
        }

        func free() { base.deallocate() }
    }

    /// rows[p * lanes + n] = first[n * planeStride + p] for p < count, n < images: one plane of
    /// each image into the lanes, eight images at a time as one vector store per pixel.
    @inline(__always)
    private static func gather(_ first: UnsafePointer<Float>, planeStride: Int, images: Int, count: Int,
                               into rows: UnsafeMutablePointer<Float>, lanes: Int) {
        var n = 0
        while n + 8 <= images {
            let p0 = first + n * planeStride, p1 = p0 + planeStride, p2 = p1 + planeStride, p3 = p2 + planeStride
            let p4 = p3 + planeStride, p5 = p4 + planeStride, p6 = p5 + planeStride, p7 = p6 + planeStride
            for p in 0..<count {
                UnsafeMutableRawPointer(rows + p * lanes + n)
                    .storeBytes(of: SIMD8(p0[p], p1[p], p2[p], p3[p], p4[p], p5[p], p6[p], p7[p]), as: SIMD8<Float>.self)
            }
            n += 8
        }
        while n < images {
            let plane = first + n * planeStride
            for p in 0..<count { rows[p * lanes + n] = plane[p] }
            n += 1
        }
    }

    /// first[n * planeStride + p] = rows[p * lanes + n] for p < count, n < images: `gather` undone.
    @inline(__always)
    private static func scatter(_ rows: UnsafePointer<Float>, lanes: Int, count: Int, images: Int,
                                into first: UnsafeMutablePointer<Float>, planeStride: Int) {
        var n = 0
        while n + 8 <= images {
            let p0 = first + n * planeStride, p1 = p0 + planeStride, p2 = p1 + planeStride, p3 = p2 + planeStride
            let p4 = p3 + planeStride, p5 = p4 + planeStride, p6 = p5 + planeStride, p7 = p6 + planeStride
            for p in 0..<count {
                let v = UnsafeRawPointer(rows + p * lanes + n).loadUnaligned(as: SIMD8<Float>.self)
                p0[p] = v[0]; p1[p] = v[1]; p2[p] = v[2]; p3[p] = v[3]; p4[p] = v[4]; p5[p] = v[5]; p6[p] = v[6]; p7[p] = v[7]
            }
            n += 8
        }
        while n < images {
            let plane = first + n * planeStride
            for p in 0..<count { plane[p] = rows[p * lanes + n] }
            n += 1
        }
    }

    /// The sum of values[0 ..< count] (a multiple of 8).
    @inline(__always)
    private static func sum(_ values: UnsafePointer<Float>, count: Int) -> Float {
        var total = SIMD8<Float>()
        for t in stride(from: 0, to: count, by: 8) { total += UnsafeRawPointer(values + t).loadUnaligned(as: SIMD8<Float>.self) }
        return total.sum()
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
