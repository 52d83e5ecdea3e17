import Basics
// Depthwise convolution (groups == input channels), computed directly: each output channel k
// reads only input channel c = k / multiplier, so im2col would copy kh*kw times the input for a
// multiply of inner dimension kh*kw, mostly overhead.
//
// Forward (any stride): each input plane is rearranged once into stride phases, zero-padded:
// phase (a, b) holds the padded input's pixels (sh*r + a, sw*t + b) in rows of length
// Wq = W' + (kw-1)/sw. Then output pixel (oh, ow), flattened as t = oh*Wq + ow, reads pixel
// t + (i/sh)*Wq + j/sw of phase (i % sh, j % sw) at tap (i, j): every tap is the same unit-stride
// shift over the whole plane, for stride 1 and 2 alike. Outputs are computed 32 at a time in
// registers across all kh*kw taps (one store per output instead of a load-add-store per tap):
// rows of 8 or more outputs as 8-wide pieces of rows written straight to y; narrower ones over
// the flattened plane, the Wq - W' extra columns per row dropped when the result is copied out.
//
// Backward (any stride), on the same phases: dy is laid out at row length Wq (its Wq - W' extra
// columns zero), so tap (i, j)'s weight gradient is ONE dot of it with the tap's shifted phase
// and its share of dx ONE axpy into the phases' gradient, fused into one pass over the plane,
// instead of one short dot and axpy per output row (library calls on 5 x 5 maps cost more
// than their arithmetic); that gradient is gathered back into dx at the end.

enum DepthwiseConvolution {
    /// x: (N,C,H,W), weight: (K,1,kh,kw) with K = C * multiplier, bias: (K) or nil
    /// -> y: (N,K,H',W') (overwritten). Small maps take the batch-in-lanes kernels of
    /// DepthwiseAcrossImages.swift, forward and backward.
    static func forward(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                        y: UnsafeMutablePointer<Float>, shape s: ConvolutionShape) {
        let operands = ForwardOperands(x: x, weight: weight, bias: bias, y: y, shape: s)
        if s.geometry.outputPlane <= forwardAcrossImagesMaximumOutputPlane {
            forwardAcrossImages(operands, shape: s)
        } else {
            forwardPhased(operands, shape: s)
        }
    }

    /// dy: (N,K,H',W') -> dx: (N,C,H,W) (overwritten); dWeight (K,1,kh,kw) and dBias (K) are
    /// ADDED to. Work is split by input channel so no two workers write the same dx or dW.
    static func backward(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                         dx: UnsafeMutablePointer<Float>, dWeight: UnsafeMutablePointer<Float>,
                         dBias: UnsafeMutablePointer<Float>?, shape s: ConvolutionShape) {
        let operands = BackwardOperands(x: x, weight: weight, dy: dy, dx: dx, dWeight: dWeight, dBias: dBias, shape: s)
        if s.geometry.outputPlane <= backwardAcrossImagesMaximumOutputPlane {
            backwardAcrossImages(operands, shape: s)
        } else {
            backwardPhased(operands, shape: s)
        }
    }

    /// A forward pass's tensors as the workers share them.
    struct ForwardOperands: Sendable {
        let x: SharedPointer, weight: SharedPointer, bias: SharedPointer?, y: SharedMutablePointer

        init(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
             y: UnsafeMutablePointer<Float>, shape s: ConvolutionShape) {
            self.x = SharedPointer(UnsafeBufferPointer(start: x, count: s.batch * s.inputImage))
            self.weight = SharedPointer(UnsafeBufferPointer(start: weight, count: s.weightCount))
            self.bias = bias.map { SharedPointer(UnsafeBufferPointer(start: $0, count: s.outChannels)) }
            self.y = SharedMutablePointer(UnsafeMutableBufferPointer(start: y, count: s.batch * s.outputImage))
        }
    }

    /// A backward pass's tensors as the workers share them.
    struct BackwardOperands: Sendable {
        let x: SharedPointer, weight: SharedPointer, dy: SharedPointer
        let dx: SharedMutablePointer, dWeight: SharedMutablePointer, dBias: SharedMutablePointer?

        init(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
             dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>?, shape s: ConvolutionShape) {
            self.x = SharedPointer(UnsafeBufferPointer(start: x, count: s.batch * s.inputImage))
            self.weight = SharedPointer(UnsafeBufferPointer(start: weight, count: s.weightCount))
            self.dy = SharedPointer(UnsafeBufferPointer(start: dy, count: s.batch * s.outputImage))
            self.dx = SharedMutablePointer(UnsafeMutableBufferPointer(start: dx, count: s.batch * s.inputImage))
            self.dWeight = SharedMutablePointer(UnsafeMutableBufferPointer(start: dWeight, count: s.weightCount))
            self.dBias = dBias.map { SharedMutablePointer(UnsafeMutableBufferPointer(start: $0, count: s.outChannels)) }
        }
    }

    // MARK: forward, any stride

    /// One input plane's stride phases (see the top of the file) and the flattened output.
    struct PhasePlanes {
        /// Outputs computed at once, in registers: 4 x SIMD8.
        static let tile = 32
        let strideHeight: Int, strideWidth: Int
        /// Wq and Hq: each phase is (Hq, Wq), padded with zeros.
        let rowLength: Int, rows: Int
        /// Floats per phase, with a tile of slack after its rows (read only for dropped outputs).
        let phaseSize: Int
        /// Flattened outputs (H'-1)*Wq + W', and that rounded up to whole tiles.
        let span: Int, tiledSpan: Int

        init(_ g: WindowGeometry) {
            strideHeight = g.strideHeight; strideWidth = g.strideWidth
            rowLength = g.outputWidth + (g.kernelWidth - 1) / g.strideWidth
            rows = g.outputHeight + (g.kernelHeight - 1) / g.strideHeight
            span = (g.outputHeight - 1) * rowLength + g.outputWidth
            tiledSpan = (span + Self.tile - 1) / Self.tile * Self.tile
            // A tile starting below span reads up to tiledSpan - 1 + (i/sh)*Wq + j/sw.
            phaseSize = max(rows * rowLength, tiledSpan + ((g.kernelHeight - 1) / g.strideHeight) * rowLength
                                                + (g.kernelWidth - 1) / g.strideWidth) + Self.tile
        }

        var phaseCount: Int { strideHeight * strideWidth }

        /// Where tap (i, j) starts reading, from the first phase.
        func offset(_ i: Int, _ j: Int) -> Int {
            ((i % strideHeight) * strideWidth + j % strideWidth) * phaseSize + (i / strideHeight) * rowLength + j / strideWidth
        }
    }

    /// x plane (H,W) -> its phases. Writes only the pixels that come from the image: the
    /// padding is at the same places for every plane of a layer, so `q` starts zeroed and keeps
    /// its zeros from plane to plane. `row` is scratch of `rowScratch(p)` floats, zeroed, that
    /// likewise keeps zeros outside the image's columns (stride 2 only).
    private static func phases(_ x: UnsafePointer<Float>, _ g: WindowGeometry, _ p: PhasePlanes,
                               into q: UnsafeMutablePointer<Float>, row: UnsafeMutablePointer<Float>) {
        let sh = p.strideHeight, sw = p.strideWidth, wq = p.rowLength, left = g.padding.left
        for a in 0..<sh {
            for r in 0..<p.rows {
                let ih = sh * r + a - g.padding.top
                guard ih >= 0 && ih < g.height else { continue }
                let src = x + ih * g.width
                if sw == 1 {
                    // Column t reads input column t - left.
                    let first = min(wq, left), end = max(first, min(wq, g.width + left))
                    (q + a * p.phaseSize + r * wq + first).update(from: src + first - left, count: end - first)
                } else if sw == 2 && 2 * wq >= left + g.width {
                    // The padded row, then its even and odd columns 8 at a time. The writes past
                    // Wq land in the next row (rewritten after it) or in the phase's slack; they
                    // are zeros when the next row is padding, as the row scratch is zero from
                    // 2*Wq >= left + W on.
                    (row + left).update(from: src, count: g.width)
                    let even = q + a * 2 * p.phaseSize + r * wq, odd = even + p.phaseSize
                    var t = 0
                    while t < wq {
                        let v = UnsafeRawPointer(row + 2 * t).loadUnaligned(as: SIMD16<Float>.self)
                        UnsafeMutableRawPointer(even + t).storeBytes(of: v.evenHalf, as: SIMD8<Float>.self)
                        UnsafeMutableRawPointer(odd + t).storeBytes(of: v.oddHalf, as: SIMD8<Float>.self)
                        t += 8
                    }
                } else {
                    for b in 0..<sw {
                        let dst = q + (a * sw + b) * p.phaseSize + r * wq
                        for t in 0..<wq {
                            let iw = sw * t + b - left
                            if iw >= 0 && iw < g.width { dst[t] = src[iw] }
                        }
                    }
                }
            }
        }
    }

    /// Floats of the row scratch `phases` needs.
    private static func rowScratch(_ p: PhasePlanes, _ g: WindowGeometry) -> Int {
        max(g.width + g.padding.left, 2 * ((p.rowLength + 7) / 8 * 8)) + 16
    }

    /// x: (N,C,H,W) -> y: (N,K,H',W'), any stride; work split by (image, input channel) plane.
    static func forwardPhased(_ o: ForwardOperands, shape s: ConvolutionShape) {
        let px = o.x, pw = o.weight, pb = o.bias, py = o.y
        let channels = s.geometry.channels, planes = s.batch * channels
        let workers = Parallel.workerCount(for: s.batch * s.outputImage * s.geometry.kernelArea, minimumPerWorker: 65_536)
        Parallel.forEachRange(count: planes, workers: min(workers, planes)) { _, range in
            guard !range.isEmpty else { return }
            let g = s.geometry, p = PhasePlanes(g), multiplier = s.outChannels / channels, area = g.kernelArea
            let q = UnsafeMutablePointer<Float>.allocate(capacity: p.phaseCount * p.phaseSize)
            defer { q.deallocate() }
            q.update(repeating: 0, count: p.phaseCount * p.phaseSize)
            let row = UnsafeMutablePointer<Float>.allocate(capacity: rowScratch(p, g))
            defer { row.deallocate() }
            row.update(repeating: 0, count: rowScratch(p, g))
            let acc = UnsafeMutablePointer<Float>.allocate(capacity: p.tiledSpan)
            defer { acc.deallocate() }
            var offsets = [Int](repeating: 0, count: area)
            for i in 0..<g.kernelHeight {
                for j in 0..<g.kernelWidth { offsets[i * g.kernelWidth + j] = p.offset(i, j) }
            }
            // Rows of 8 or more outputs are written straight from registers, 8 at a time (the
            // last 8 of a row overlap the ones before when W' is not a multiple of 8).
            var chunks: [Int] = []
            if g.outputWidth >= 8 {
                var starts = Array(stride(from: 0, to: g.outputWidth - 8, by: 8))
                starts.append(g.outputWidth - 8)
                chunks.reserveCapacity(2 * starts.count * g.outputHeight)
                for oh in 0..<g.outputHeight {
                    for ow in starts {
                        chunks.append(oh * g.outputWidth + ow)
                        chunks.append(oh * p.rowLength + ow)
                    }
                }
            }
            offsets.withUnsafeBufferPointer { offsets in
                for plane in range {
                    let (n, c) = plane.quotientAndRemainder(dividingBy: channels)
                    phases(px.base + plane * g.inputPlane, g, p, into: q, row: row)
                    for k in (c * multiplier)..<((c + 1) * multiplier) {
                        let out = py.base + (n * s.outChannels + k) * g.outputPlane, b = pb.map { $0.base[k] } ?? 0
                        if !chunks.isEmpty {
                            chunks.withUnsafeBufferPointer {
                                tapSums(q, offsets: offsets, weights: pw.base + k * area, bias: b, chunks: $0, into: out)
                            }
                            continue
                        }
                        tapSums(q, offsets: offsets, weights: pw.base + k * area, bias: b, into: acc, count: p.tiledSpan)
                        if p.rowLength == g.outputWidth {
                            out.update(from: acc, count: g.outputPlane)
                        } else {
                            for oh in 0..<g.outputHeight {
                                (out + oh * g.outputWidth).update(from: acc + oh * p.rowLength, count: g.outputWidth)
                            }
                        }
                    }
                }
            }
        }
    }

    /// acc[t] = bias + sum over taps of weights[tap] * q[offsets[tap] + t], t < count (a
    /// multiple of `PhasePlanes.tile`), a tile of 32 at a time in registers.
    @inline(__always)
    private static func tapSums(_ q: UnsafePointer<Float>, offsets: UnsafeBufferPointer<Int>, weights: UnsafePointer<Float>,
                                bias: Float, into acc: UnsafeMutablePointer<Float>, count: Int) {
        typealias V = SIMD8<Float>
        @inline(__always) func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
        @inline(__always) func store(_ v: V, _ p: UnsafeMutablePointer<Float>) {
            UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
        }
        let taps = offsets.count
        var t = 0
        while t < count {
            var a0 = V(repeating: bias), a1 = a0, a2 = a0, a3 = a0
            for tap in 0..<taps {
                let src = q + offsets[tap] + t
                let w = V(repeating: weights[tap])
                a0 += w * load(src)
                a1 += w * load(src + 8)
                a2 += w * load(src + 16)
                a3 += w * load(src + 24)
            }
            store(a0, acc + t); store(a1, acc + t + 8); store(a2, acc + t + 16); store(a3, acc + t + 24)
            t += PhasePlanes.tile
        }
    }

    /// out[chunks[2c] ..< + 8] = bias + sum over taps of weights[tap] * q[offsets[tap] + chunks[2c + 1] ..< + 8]
    /// for each chunk c, four chunks at a time in registers.
    @inline(__always)
    private static func tapSums(_ q: UnsafePointer<Float>, offsets: UnsafeBufferPointer<Int>, weights: UnsafePointer<Float>,
                                bias: Float, chunks: UnsafeBufferPointer<Int>, into out: UnsafeMutablePointer<Float>) {
        typealias V = SIMD8<Float>
        @inline(__always) func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
        @inline(__always) func store(_ v: V, _ p: UnsafeMutablePointer<Float>) {
            UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
        }
        let taps = offsets.count, count = chunks.count / 2
        var c = 0
        while c + 4 <= count {
            let s0 = q + chunks[2 * c + 1], s1 = q + chunks[2 * c + 3], s2 = q + chunks[2 * c + 5], s3 = q + chunks[2 * c + 7]
            var a0 = V(repeating: bias), a1 = a0, a2 = a0, a3 = a0
            for tap in 0..<taps {
                let o = offsets[tap], w = V(repeating: weights[tap])
                a0 += w * load(s0 + o)
                a1 += w * load(s1 + o)
                a2 += w * load(s2 + o)
                a3 += w * load(s3 + o)
            }
            store(a0, out + chunks[2 * c]); store(a1, out + chunks[2 * c + 2])
            store(a2, out + chunks[2 * c + 4]); store(a3, out + chunks[2 * c + 6])
            c += 4
        }
        while c < count {
            let s0 = q + chunks[2 * c + 1]
            var a0 = V(repeating: bias)
            for tap in 0..<taps { a0 += V(repeating: weights[tap]) * load(s0 + offsets[tap]) }
            store(a0, out + chunks[2 * c])
            c += 1
        }
    }

    // MARK: backward, any stride

    /// dy: (N,K,H',W') -> dx: (N,C,H,W), dW (K,1,kh,kw) +=, db (K) +=, any stride, on the input's
    /// stride phases as the forward pass reads them: dy is laid out at the phases' row length Wq,
    /// so each tap is one fused dot (its dW) and axpy (into the phases' gradient) over the
    /// flattened plane; that gradient is then gathered back into dx.
    static func backwardPhased(_ o: BackwardOperands, shape s: ConvolutionShape) {
        let px = o.x, pw = o.weight, pdy = o.dy, pdx = o.dx, pdw = o.dWeight, pdb = o.dBias
        let channels = s.geometry.channels
        let workers = Parallel.workerCount(for: s.batch * s.outputImage * s.geometry.kernelArea, minimumPerWorker: 65_536)
        Parallel.forEachRange(count: channels, workers: min(workers, channels)) { _, range in
            guard !range.isEmpty else { return }
            let g = s.geometry, p = PhasePlanes(g), multiplier = s.outChannels / channels, area = g.kernelArea
            let size = p.phaseCount * p.phaseSize
            let q = UnsafeMutablePointer<Float>.allocate(capacity: size)
            defer { q.deallocate() }
            q.update(repeating: 0, count: size)
            let dq = UnsafeMutablePointer<Float>.allocate(capacity: size)
            defer { dq.deallocate() }
            let row = UnsafeMutablePointer<Float>.allocate(capacity: rowScratch(p, g))
            defer { row.deallocate() }
            row.update(repeating: 0, count: rowScratch(p, g))
            // dy of one output plane in rows of Wq; the extra columns and the tail stay 0, so the
            // taps' dots and axpys over whole tiles add nothing there.
            let grad = UnsafeMutablePointer<Float>.allocate(capacity: p.tiledSpan)
            defer { grad.deallocate() }
            grad.update(repeating: 0, count: p.tiledSpan)
            let offsets = (0..<area).map { p.offset($0 / g.kernelWidth, $0 % g.kernelWidth) }
            let vectors = (p.span + 7) / 8 * 8  // the flattened plane in whole vectors (<= tiledSpan)
            for c in range {
                for n in 0..<s.batch {
                    phases(px.base + (n * channels + c) * g.inputPlane, g, p, into: q, row: row)
                    dq.update(repeating: 0, count: size)
                    for k in (c * multiplier)..<((c + 1) * multiplier) {
                        let dyPlane = pdy.base + (n * s.outChannels + k) * g.outputPlane
                        var total: Float = 0
                        for oh in 0..<g.outputHeight {
                            let src = dyPlane + oh * g.outputWidth
                            (grad + oh * p.rowLength).update(from: src, count: g.outputWidth)
                            for ow in 0..<g.outputWidth { total += src[ow] }
                        }
                        pdb?.base[k] += total
                        for tap in 0..<area {
                            pdw.base[k * area + tap] += dotAndAxpy(grad, q + offsets[tap], weight: pw.base[k * area + tap],
                                                                   into: dq + offsets[tap], count: vectors)
                        }
                    }
                    gather(dq, g, p, into: pdx.base + (n * channels + c) * g.inputPlane)
                }
            }
        }
    }

    /// Returns the sum of grad[t] * x[t] and adds weight * grad[t] to dx[t], t < count (a
    /// multiple of 8): a tap's dW and its share of the phases' gradient in one pass.
    @inline(__always)
    private static func dotAndAxpy(_ grad: UnsafePointer<Float>, _ x: UnsafePointer<Float>, weight: Float,
                                   into dx: UnsafeMutablePointer<Float>, count: Int) -> Float {
        typealias V = SIMD8<Float>
        @inline(__always) func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
        @inline(__always) func addTo(_ p: UnsafeMutablePointer<Float>, _ v: V) {
            UnsafeMutableRawPointer(p).storeBytes(of: load(p) + v, as: V.self)
        }
        let w = V(repeating: weight)
        var a0 = V(), a1 = V()
        var t = 0
        while t + 16 <= count {
            let g0 = load(grad + t), g1 = load(grad + t + 8)
            a0 += g0 * load(x + t)
            a1 += g1 * load(x + t + 8)
            addTo(dx + t, w * g0)
            addTo(dx + t + 8, w * g1)
            t += 16
        }
        if t < count {
            let g0 = load(grad + t)
            a0 += g0 * load(x + t)
            addTo(dx + t, w * g0)
        }
        return (a0 + a1).sum()
    }

    /// The phases' gradient -> the input plane's (H,W) (overwritten): pixel (ih, iw) is padded
    /// pixel (ih + top, iw + left) = (sh*r + a, sw*t + b), in phase (a, b) at (r, t); pixels no
    /// tap reads (past the phases' rows or columns) get 0.
    private static func gather(_ dq: UnsafePointer<Float>, _ g: WindowGeometry, _ p: PhasePlanes,
                               into dx: UnsafeMutablePointer<Float>) {
        let sh = p.strideHeight, sw = p.strideWidth, wq = p.rowLength
        for ih in 0..<g.height {
            let (r, a) = (ih + g.padding.top).quotientAndRemainder(dividingBy: sh)
            let dst = dx + ih * g.width
            guard r < p.rows else { dst.update(repeating: 0, count: g.width); continue }
            if sw == 1 {  // Wq = W + left + right: every column is read
                dst.update(from: dq + a * p.phaseSize + r * wq + g.padding.left, count: g.width)
                continue
            }
            for iw in 0..<g.width {
                let (t, b) = (iw + g.padding.left).quotientAndRemainder(dividingBy: sw)
                dst[iw] = t < wq ? dq[(a * sw + b) * p.phaseSize + r * wq + t] : 0
            }
        }
    }
}
