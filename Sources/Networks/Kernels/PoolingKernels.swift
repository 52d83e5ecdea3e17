import Basics
// Max and average pooling over windows of each (image, channel) plane. Planes are independent,
// so large tensors are split over the cores by plane; each worker writes only its planes.

enum PoolingKernels {
    /// Planes (N*C) and the window geometry of one plane (`channels` is 1).
    struct Shape: Sendable {
        let planes: Int
        let geometry: WindowGeometry
        var workers: Int { Parallel.workerCount(for: planes * geometry.outputPlane * geometry.kernelArea, minimumPerWorker: 65_536) }
    }

    /// The input rows (or columns) window `o` covers, clipped to the image: o*stride - pad + 0..<kernel.
    @inline(__always)
    static func window(_ o: Int, stride: Int, pad: Int, kernel: Int, size: Int) -> Range<Int> {
        let start = o * stride - pad
        return max(0, start)..<min(size, start + kernel)
    }

    /// x: (planes,H,W) -> y: (planes,H',W') and argmax: (planes,H',W'), the flat index in the
    /// input plane of each maximum (the first one on ties, as PyTorch; padding never wins).
    static func maxForward(x: SharedPointer, y: SharedMutablePointer, argmax: UnsafeMutablePointer<Int32>, shape s: Shape) {
        let indices = SharedIndexPointer(base: argmax)
        Parallel.forEachRange(count: s.planes, workers: min(s.workers, s.planes)) { _, planes in
            let g = s.geometry
            if g.kernelHeight == 3 && g.kernelWidth == 3 && g.padding == .zero {
                for plane in planes {
                    maxForward3x3(src: x.base + plane * g.inputPlane, out: y.base + plane * g.outputPlane,
                                  arg: indices.base + plane * g.outputPlane, g)
                }
                return
            }
            for plane in planes {
                let src = x.base + plane * g.inputPlane
                let out = y.base + plane * g.outputPlane, arg = indices.base + plane * g.outputPlane
                for oh in 0..<g.outputHeight {
                    let rows = window(oh, stride: g.strideHeight, pad: g.padding.top, kernel: g.kernelHeight, size: g.height)
                    for ow in 0..<g.outputWidth {
                        let columns = window(ow, stride: g.strideWidth, pad: g.padding.left, kernel: g.kernelWidth, size: g.width)
                        var best = -Float.infinity, bestIndex = rows.lowerBound * g.width + columns.lowerBound
                        for ih in rows {
                            for iw in columns where src[ih * g.width + iw] > best {
                                best = src[ih * g.width + iw]
                                bestIndex = ih * g.width + iw
                            }
                        }
                        out[oh * g.outputWidth + ow] = best
                        arg[oh * g.outputWidth + ow] = Int32(bestIndex)
                    }
                }
            }
        }
    }

    /// One plane of an unpadded 3x3 max pool (DSH's), every window inside the image: constant
    /// loop bounds the compiler unrolls and selects instead of data-dependent branches (the
    /// general loop made the pool 7% of dsh's training step), in the general loop's order so
    /// ties pick the same pixel.
    @inline(__always)
    private static func maxForward3x3(src: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                                      arg: UnsafeMutablePointer<Int32>, _ g: WindowGeometry) {
        let width = g.width
        for oh in 0..<g.outputHeight {
            let vectorized = g.strideWidth == 2 ? maxForward3x3Stride2(src: src, out: out, arg: arg, row: oh, g) : 0
            for ow in vectorized..<g.outputWidth {
                let corner = oh * g.strideHeight * width + ow * g.strideWidth
                var best = -Float.infinity, bestIndex = corner
                for row in 0..<3 {
                    for column in 0..<3 {
                        let index = corner + row * width + column, value = src[index], better = value > best
                        best = better ? value : best
                        bestIndex = better ? index : bestIndex
                    }
                }
                out[oh * g.outputWidth + ow] = best
                arg[oh * g.outputWidth + ow] = Int32(bestIndex)
            }
        }
    }

    /// Runs `group(ow0)` over output row `oh` of a 3x3 pool with stride 2 across (DSH's and
    /// DATH's 3/2 pools) for groups of eight outputs, ow0 ..< ow0 + 8: window ow0 + l's columns
    /// 2(ow0 + l) + j are the even lanes of 16 floats read from 2 ow0 + j. A row's last outputs,
    /// fewer than eight, are one more group ending at the row's end, which recomputes (and
    /// rewrites, with the same values) a few of the previous group's. Returns how many outputs of
    /// the row were done: a group whose reads would leave the plane is left, with the rest of the
    /// row, to the caller's scalar loop.
    @inline(__always)
    private static func vectorGroups3x3Stride2(row oh: Int, _ g: WindowGeometry, _ group: (_ ow0: Int) -> Void) -> Int {
        let outW = g.outputWidth, lastRow = oh * g.strideHeight + 2
        func fits(_ ow0: Int) -> Bool { lastRow * g.width + 2 * ow0 + 18 <= g.inputPlane }
        var done = 0
        while done + 8 <= outW {
            guard fits(done) else { return done }
            group(done)
            done += 8
        }
        if done < outW && outW >= 8 && fits(outW - 8) {
            group(outW - 8)
            done = outW
        }
        return done
    }

    /// Window columns j of eight stride-2 windows from `index` (see vectorGroups3x3Stride2).
    @inline(__always)
    private static func evenLanes(_ src: UnsafePointer<Float>, _ index: Int) -> SIMD8<Float> {
        UnsafeRawPointer(src + index).loadUnaligned(as: SIMD16<Float>.self).evenHalf
    }

    /// The vectorised part of one output row of the unpadded 3x3 stride-2 max pool: the nine
    /// candidates in the scalar loop's order, replacing the best only when strictly greater, so
    /// ties and NaN go the same way.
    @inline(__always)
    private static func maxForward3x3Stride2(src: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                                             arg: UnsafeMutablePointer<Int32>, row oh: Int, _ g: WindowGeometry) -> Int {
        let width = g.width, top = oh * g.strideHeight
        let laneOffsets = SIMD8<Int32>(0, 2, 4, 6, 8, 10, 12, 14)
        return vectorGroups3x3Stride2(row: oh, g) { ow0 in
            // Each window's corner until something beats -infinity, as in the scalar loop.
            var best = SIMD8<Float>(repeating: -.infinity)
            var bestIndex = SIMD8<Int32>(repeating: Int32(top * width + 2 * ow0)) &+ laneOffsets
            for i in 0..<3 {
                for j in 0..<3 {
                    let index = (top + i) * width + 2 * ow0 + j
                    let value = evenLanes(src, index), better = value .> best
                    best.replace(with: value, where: better)
                    bestIndex.replace(with: SIMD8<Int32>(repeating: Int32(index)) &+ laneOffsets, where: better)
                }
            }
            let o = oh * g.outputWidth + ow0
            UnsafeMutableRawPointer(out + o).storeBytes(of: best, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(arg + o).storeBytes(of: bestIndex, as: SIMD8<Int32>.self)
        }
    }

    /// The vectorised part of one output row of the unpadded 3x3 stride-2 average pool (every
    /// window inside the image, so the divisor is 9 either way), summed in the scalar loop's order.
    @inline(__always)
    private static func averageForward3x3Stride2(src: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                                                 row oh: Int, _ g: WindowGeometry) -> Int {
        let width = g.width, top = oh * g.strideHeight
        return vectorGroups3x3Stride2(row: oh, g) { ow0 in
            var total = SIMD8<Float>()
            for i in 0..<3 {
                for j in 0..<3 { total += evenLanes(src, (top + i) * width + 2 * ow0 + j) }
            }
            UnsafeMutableRawPointer(out + oh * g.outputWidth + ow0).storeBytes(of: total / 9, as: SIMD8<Float>.self)
        }
    }

    /// dy: (planes,H',W') -> dx: (planes,H,W) (overwritten): each gradient goes to its argmax.
    static func maxBackward(dy: SharedPointer, argmax: UnsafePointer<Int32>, dx: SharedMutablePointer, shape s: Shape) {
        let indices = SharedIndexPointer(base: UnsafeMutablePointer(mutating: argmax))
        Parallel.forEachRange(count: s.planes, workers: min(s.workers, s.planes)) { _, planes in
            let g = s.geometry
            for plane in planes {
                let grad = dy.base + plane * g.outputPlane, arg = indices.base + plane * g.outputPlane
                let out = dx.base + plane * g.inputPlane
                out.update(repeating: 0, count: g.inputPlane)
                for o in 0..<g.outputPlane { out[Int(arg[o])] += grad[o] }
            }
        }
    }

    /// The divisor of window (oh, ow): the kernel area when padding counts (PyTorch's
    /// count_include_pad=True, its default: without ceil_mode every window lies inside the padded
    /// input), otherwise the number of real pixels under the window.
    @inline(__always)
    static func divisor(_ oh: Int, _ ow: Int, _ g: WindowGeometry, countIncludePadding: Bool) -> Float {
        if countIncludePadding { return Float(g.kernelArea) }
        let rows = window(oh, stride: g.strideHeight, pad: g.padding.top, kernel: g.kernelHeight, size: g.height)
        let columns = window(ow, stride: g.strideWidth, pad: g.padding.left, kernel: g.kernelWidth, size: g.width)
        return Float(rows.count * columns.count)
    }

    /// x: (planes,H,W) -> y: (planes,H',W'), the mean over each window.
    static func averageForward(x: SharedPointer, y: SharedMutablePointer, countIncludePadding: Bool, shape s: Shape) {
        Parallel.forEachRange(count: s.planes, workers: min(s.workers, s.planes)) { _, planes in
            let g = s.geometry
            let unpadded3x3 = g.kernelHeight == 3 && g.kernelWidth == 3 && g.padding == .zero
            for plane in planes {
                let src = x.base + plane * g.inputPlane, out = y.base + plane * g.outputPlane
                for oh in 0..<g.outputHeight {
                    let rows = window(oh, stride: g.strideHeight, pad: g.padding.top, kernel: g.kernelHeight, size: g.height)
                    if unpadded3x3 {
                        // Constant bounds the compiler unrolls (DSH's 7- and 3-wide maps are too
                        // narrow for the vectors), summed in the general loop's order.
                        let vectorized = g.strideWidth == 2 ? averageForward3x3Stride2(src: src, out: out, row: oh, g) : 0
                        for ow in vectorized..<g.outputWidth {
                            let corner = oh * g.strideHeight * g.width + ow * g.strideWidth
                            var total: Float = 0
                            for i in 0..<3 {
                                for j in 0..<3 { total += src[corner + i * g.width + j] }
                            }
                            out[oh * g.outputWidth + ow] = total / 9
                        }
                        continue
                    }
                    for ow in 0..<g.outputWidth {
                        let columns = window(ow, stride: g.strideWidth, pad: g.padding.left, kernel: g.kernelWidth, size: g.width)
                        var total: Float = 0
                        for ih in rows {
                            for iw in columns { total += src[ih * g.width + iw] }
                        }
                        out[oh * g.outputWidth + ow] = total / divisor(oh, ow, g, countIncludePadding: countIncludePadding)
                    }
                }
            }
        }
    }

    /// dy: (planes,H',W') -> dx: (planes,H,W) (overwritten): each gradient spread evenly over its window.
    static func averageBackward(dy: SharedPointer, dx: SharedMutablePointer, countIncludePadding: Bool, shape s: Shape) {
        Parallel.forEachRange(count: s.planes, workers: min(s.workers, s.planes)) { _, planes in
            let g = s.geometry
            for plane in planes {
                let grad = dy.base + plane * g.outputPlane, out = dx.base + plane * g.inputPlane
                out.update(repeating: 0, count: g.inputPlane)
                if g.kernelHeight == 3 && g.kernelWidth == 3 && g.padding == .zero {
                    // Every window inside the image: constant bounds, the general loop's order.
                    for oh in 0..<g.outputHeight {
                        for ow in 0..<g.outputWidth {
                            let corner = oh * g.strideHeight * g.width + ow * g.strideWidth
                            let share = grad[oh * g.outputWidth + ow] / 9
                            for i in 0..<3 {
                                for j in 0..<3 { out[corner + i * g.width + j] += share }
                            }
                        }
                    }
                    continue
                }
                for oh in 0..<g.outputHeight {
                    let rows = window(oh, stride: g.strideHeight, pad: g.padding.top, kernel: g.kernelHeight, size: g.height)
                    for ow in 0..<g.outputWidth {
                        let columns = window(ow, stride: g.strideWidth, pad: g.padding.left, kernel: g.kernelWidth, size: g.width)
                        let share = grad[oh * g.outputWidth + ow] / divisor(oh, ow, g, countIncludePadding: countIncludePadding)
                        for ih in rows {
                            for iw in columns { out[ih * g.width + iw] += share }
                        }
                    }
                }
            }
        }
    }
}

/// Argmax indices handed to concurrent workers (each writes only its planes).
struct SharedIndexPointer: @unchecked Sendable {
    let base: UnsafeMutablePointer<Int32>
}
