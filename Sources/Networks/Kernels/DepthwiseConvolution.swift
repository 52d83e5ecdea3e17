// Depthwise convolution (groups == input channels), computed directly: each output channel k
// reads only input channel c = k / multiplier, so im2col would copy kh*kw times the input for a
// multiply of inner dimension kh*kw, mostly overhead.
//
// Stride 1 (most depthwise layers): the input plane is copied into a zero-padded plane of row
// length Wp = W + left + right, and the output is accumulated at that row length too. Then each
// kernel tap (i, j) is ONE long axpy, acc[t] += w_ij * padded[i*Wp + j + t] over
// t < (H'-1)*Wp + W', instead of one short axpy per output row; the Wp - W' extra columns per row
// are scratch, dropped when the output is copied out (backward zeroes them in dy, so they add
// nothing). Other strides run tap by tap over the output rows and columns whose input lies
// inside the image.

enum DepthwiseConvolution {
    /// x: (N,C,H,W), weight: (K,1,kh,kw) with K = C * multiplier, bias: (K) or nil
    /// -> y: (N,K,H',W') (overwritten).
    static func forward(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                        y: UnsafeMutablePointer<Float>, shape s: ConvolutionShape) {
        if s.geometry.strideHeight == 1 && s.geometry.strideWidth == 1 {
            forwardUnitStride(x: x, weight: weight, bias: bias, y: y, shape: s)
        } else {
            forwardStrided(x: x, weight: weight, bias: bias, y: y, shape: s)
        }
    }

    /// dy: (N,K,H',W') -> dx: (N,C,H,W) (overwritten); dWeight (K,1,kh,kw) and dBias (K) are
    /// ADDED to. Work is split by input channel so no two workers write the same dx or dW.
    static func backward(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                         dx: UnsafeMutablePointer<Float>, dWeight: UnsafeMutablePointer<Float>,
                         dBias: UnsafeMutablePointer<Float>?, shape s: ConvolutionShape) {
        if s.geometry.strideHeight == 1 && s.geometry.strideWidth == 1 {
            backwardUnitStride(x: x, weight: weight, dy: dy, dx: dx, dWeight: dWeight, dBias: dBias, shape: s)
        } else {
            backwardStrided(x: x, weight: weight, dy: dy, dx: dx, dWeight: dWeight, dBias: dBias, shape: s)
        }
    }

    // MARK: stride 1

    /// The padded plane's sizes and the length of each tap's axpy.
    private struct PaddedPlane {
        let width: Int, height: Int, span: Int
        init(_ g: WindowGeometry) {
            width = g.width + g.padding.left + g.padding.right
            height = g.height + g.padding.top + g.padding.bottom
            span = (g.outputHeight - 1) * width + g.outputWidth
        }
    }

    /// x plane (H,W) -> padded (Hp,Wp), zero borders.
    private static func pad(_ x: UnsafePointer<Float>, _ g: WindowGeometry, _ p: PaddedPlane, into padded: UnsafeMutablePointer<Float>) {
        padded.update(repeating: 0, count: p.height * p.width)
        for ih in 0..<g.height {
            (padded + (ih + g.padding.top) * p.width + g.padding.left).update(from: x + ih * g.width, count: g.width)
        }
    }

    /// x: (N,C,H,W) -> y: (N,K,H',W'), stride 1; work split by (image, input channel) plane.
    private static func forwardUnitStride(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                          y: UnsafeMutablePointer<Float>, shape s: ConvolutionShape) {
        let px = SharedPointer(UnsafeBufferPointer(start: x, count: s.batch * s.inputImage))
        let pw = SharedPointer(UnsafeBufferPointer(start: weight, count: s.weightCount))
        let pb = bias.map { SharedPointer(UnsafeBufferPointer(start: $0, count: s.outChannels)) }
        let py = SharedMutablePointer(UnsafeMutableBufferPointer(start: y, count: s.batch * s.outputImage))
        let channels = s.geometry.channels, planes = s.batch * channels
        let workers = Parallel.workerCount(for: s.batch * s.outputImage * s.geometry.kernelArea, minimumPerWorker: 65_536)
        Parallel.forEachRange(count: planes, workers: min(workers, planes)) { _, range in
            let g = s.geometry, p = PaddedPlane(g), multiplier = s.outChannels / channels
            let padded = UnsafeMutablePointer<Float>.allocate(capacity: p.height * p.width)
            defer { padded.deallocate() }
            let acc = UnsafeMutablePointer<Float>.allocate(capacity: g.outputHeight * p.width)
            defer { acc.deallocate() }
            for plane in range {
                let (n, c) = plane.quotientAndRemainder(dividingBy: channels)
                pad(px.base + plane * g.inputPlane, g, p, into: padded)
                for k in (c * multiplier)..<((c + 1) * multiplier) {
                    acc.update(repeating: pb.map { $0.base[k] } ?? 0, count: p.span)
                    for i in 0..<g.kernelHeight {
                        for j in 0..<g.kernelWidth {
                            // acc (span) += w_ij * padded[i*Wp + j ...]
                            BLAS.saxpy(p.span, pw.base[(k * g.kernelHeight + i) * g.kernelWidth + j], padded + i * p.width + j, 1, acc)
                        }
                    }
                    let out = py.base + (n * s.outChannels + k) * g.outputPlane
                    for oh in 0..<g.outputHeight {
                        (out + oh * g.outputWidth).update(from: acc + oh * p.width, count: g.outputWidth)
                    }
                }
            }
        }
    }

    /// dy: (N,K,H',W') -> dx: (N,C,H,W), dW (K,1,kh,kw) +=, db (K) +=; stride 1.
    private static func backwardUnitStride(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                           dx: UnsafeMutablePointer<Float>, dWeight: UnsafeMutablePointer<Float>,
                                           dBias: UnsafeMutablePointer<Float>?, shape s: ConvolutionShape) {
        let px = SharedPointer(UnsafeBufferPointer(start: x, count: s.batch * s.inputImage))
        let pw = SharedPointer(UnsafeBufferPointer(start: weight, count: s.weightCount))
        let pdy = SharedPointer(UnsafeBufferPointer(start: dy, count: s.batch * s.outputImage))
        let pdx = SharedMutablePointer(UnsafeMutableBufferPointer(start: dx, count: s.batch * s.inputImage))
        let pdw = SharedMutablePointer(UnsafeMutableBufferPointer(start: dWeight, count: s.weightCount))
        let pdb = dBias.map { SharedMutablePointer(UnsafeMutableBufferPointer(start: $0, count: s.outChannels)) }
        let channels = s.geometry.channels
        let workers = Parallel.workerCount(for: s.batch * s.outputImage * s.geometry.kernelArea, minimumPerWorker: 65_536)
        Parallel.forEachRange(count: channels, workers: min(workers, channels)) { _, range in
            let g = s.geometry, p = PaddedPlane(g), multiplier = s.outChannels / channels
            let padded = UnsafeMutablePointer<Float>.allocate(capacity: p.height * p.width)
            defer { padded.deallocate() }
            let dPadded = UnsafeMutablePointer<Float>.allocate(capacity: p.height * p.width)
            defer { dPadded.deallocate() }
            let grad = UnsafeMutablePointer<Float>.allocate(capacity: g.outputHeight * p.width)
            defer { grad.deallocate() }
            grad.update(repeating: 0, count: g.outputHeight * p.width)  // the scratch columns stay 0
            for c in range {
                for n in 0..<s.batch {
                    pad(px.base + (n * channels + c) * g.inputPlane, g, p, into: padded)
                    dPadded.update(repeating: 0, count: p.height * p.width)
                    for k in (c * multiplier)..<((c + 1) * multiplier) {
                        let dyPlane = pdy.base + (n * s.outChannels + k) * g.outputPlane
                        var total: Float = 0
                        for oh in 0..<g.outputHeight {
                            let row = dyPlane + oh * g.outputWidth
                            (grad + oh * p.width).update(from: row, count: g.outputWidth)
                            for ow in 0..<g.outputWidth { total += row[ow] }
                        }
                        pdb?.base[k] += total
                        for i in 0..<g.kernelHeight {
                            for j in 0..<g.kernelWidth {
                                let tap = (k * g.kernelHeight + i) * g.kernelWidth + j, shift = i * p.width + j
                                // dW_ij += dy . padded[i*Wp + j ...];  dPadded[i*Wp + j ...] += w_ij * dy
                                pdw.base[tap] += BLAS.sdot(p.span, grad, 1, padded + shift, 1)
                                BLAS.saxpy(p.span, pw.base[tap], grad, 1, dPadded + shift)
                            }
                        }
                    }
                    let dInput = pdx.base + (n * channels + c) * g.inputPlane
                    for ih in 0..<g.height {
                        (dInput + ih * g.width).update(from: dPadded + (ih + g.padding.top) * p.width + g.padding.left, count: g.width)
                    }
                }
            }
        }
    }

    // MARK: other strides

    /// x: (N,C,H,W) -> y: (N,K,H',W'), any stride; work split by (image, output channel) plane.
    private static func forwardStrided(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                       y: UnsafeMutablePointer<Float>, shape s: ConvolutionShape) {
        let px = SharedPointer(UnsafeBufferPointer(start: x, count: s.batch * s.inputImage))
        let pw = SharedPointer(UnsafeBufferPointer(start: weight, count: s.weightCount))
        let pb = bias.map { SharedPointer(UnsafeBufferPointer(start: $0, count: s.outChannels)) }
        let py = SharedMutablePointer(UnsafeMutableBufferPointer(start: y, count: s.batch * s.outputImage))
        let planes = s.batch * s.outChannels
        let workers = Parallel.workerCount(for: planes * s.geometry.outputPlane, minimumPerWorker: 16_384)
        Parallel.forEachRange(count: planes, workers: workers) { _, range in
            let g = s.geometry, area = g.kernelArea, multiplier = s.outChannels / g.channels
            for plane in range {
                let (n, k) = plane.quotientAndRemainder(dividingBy: s.outChannels)
                let input = px.base + (n * g.channels + k / multiplier) * g.inputPlane
                let out = py.base + plane * g.outputPlane
                out.update(repeating: pb.map { $0.base[k] } ?? 0, count: g.outputPlane)
                for i in 0..<g.kernelHeight {
                    for j in 0..<g.kernelWidth {
                        let tap = pw.base[k * area + i * g.kernelWidth + j]
                        let columns = g.validOutputColumns(j)
                        guard !columns.isEmpty else { continue }
                        for oh in g.validOutputRows(i) {
                            let src = input + g.inputRow(oh, i) * g.width + columns.lowerBound * g.strideWidth - g.padding.left + j
                            let dst = out + oh * g.outputWidth + columns.lowerBound
                            axpy(tap, src, g.strideWidth, dst, columns.count)
                        }
                    }
                }
            }
        }
    }

    /// dy: (N,K,H',W') -> dx: (N,C,H,W), dW (K,1,kh,kw) +=, db (K) +=; any stride.
    private static func backwardStrided(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                        dx: UnsafeMutablePointer<Float>, dWeight: UnsafeMutablePointer<Float>,
                                        dBias: UnsafeMutablePointer<Float>?, shape s: ConvolutionShape) {
        let px = SharedPointer(UnsafeBufferPointer(start: x, count: s.batch * s.inputImage))
        let pw = SharedPointer(UnsafeBufferPointer(start: weight, count: s.weightCount))
        let pdy = SharedPointer(UnsafeBufferPointer(start: dy, count: s.batch * s.outputImage))
        let pdx = SharedMutablePointer(UnsafeMutableBufferPointer(start: dx, count: s.batch * s.inputImage))
        let pdw = SharedMutablePointer(UnsafeMutableBufferPointer(start: dWeight, count: s.weightCount))
        let pdb = dBias.map { SharedMutablePointer(UnsafeMutableBufferPointer(start: $0, count: s.outChannels)) }
        let channels = s.geometry.channels
        let workers = Parallel.workerCount(for: channels, minimumPerWorker: max(1, 16_384 / max(1, s.batch * s.geometry.outputPlane)))
        Parallel.forEachRange(count: channels, workers: workers) { _, range in
            let g = s.geometry, area = g.kernelArea, multiplier = s.outChannels / g.channels
            for c in range {
                for n in 0..<s.batch {
                    let input = px.base + (n * channels + c) * g.inputPlane
                    let dInput = pdx.base + (n * channels + c) * g.inputPlane
                    dInput.update(repeating: 0, count: g.inputPlane)
                    for k in (c * multiplier)..<((c + 1) * multiplier) {
                        let grad = pdy.base + (n * s.outChannels + k) * g.outputPlane
                        if let pdb {
                            var total: Float = 0
                            for p in 0..<g.outputPlane { total += grad[p] }
                            pdb.base[k] += total
                        }
                        for i in 0..<g.kernelHeight {
                            for j in 0..<g.kernelWidth {
                                let tap = k * area + i * g.kernelWidth + j, value = pw.base[tap]
                                let columns = g.validOutputColumns(j)
                                guard !columns.isEmpty else { continue }
                                var total: Float = 0
                                for oh in g.validOutputRows(i) {
                                    let offset = g.inputRow(oh, i) * g.width + columns.lowerBound * g.strideWidth - g.padding.left + j
                                    let dyRow = grad + oh * g.outputWidth + columns.lowerBound
                                    total += dot(input + offset, g.strideWidth, dyRow, columns.count)
                                    axpyStrided(value, dyRow, dInput + offset, g.strideWidth, columns.count)
                                }
                                pdw.base[tap] += total
                            }
                        }
                    }
                }
            }
        }
    }

    /// dst[t] += a * src[t * stride], t < count.
    @inline(__always)
    private static func axpy(_ a: Float, _ src: UnsafePointer<Float>, _ stride: Int,
                             _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        if stride == 1 {
            for t in 0..<count { dst[t] += a * src[t] }
        } else {
            for t in 0..<count { dst[t] += a * src[t * stride] }
        }
    }

    /// dst[t * stride] += a * src[t], t < count.
    @inline(__always)
    private static func axpyStrided(_ a: Float, _ src: UnsafePointer<Float>,
                                    _ dst: UnsafeMutablePointer<Float>, _ stride: Int, _ count: Int) {
        if stride == 1 {
            for t in 0..<count { dst[t] += a * src[t] }
        } else {
            for t in 0..<count { dst[t * stride] += a * src[t] }
        }
    }

    /// sum over t < count of a[t * stride] * b[t].
    @inline(__always)
    private static func dot(_ a: UnsafePointer<Float>, _ stride: Int, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        var total: Float = 0
        if stride == 1 {
            for t in 0..<count { total += a[t] * b[t] }
        } else {
            for t in 0..<count { total += a[t * stride] * b[t] }
        }
        return total
    }
}
