// im2col and its adjoint col2im: convolution as one matrix multiply.
//
// For one image x: (C,H,W) the column matrix has a row per (c, i, j) (channel, kernel row,
// kernel column, in that order, matching PyTorch's weight layout (K, C/groups, kh, kw)) and a
// column per output pixel (oh, ow). Row r holds x[c, oh*sh - top + i, ow*sw - left + j], zero
// where that falls in the padding. Both functions work on a band of output rows `rows` (a tile
// small enough to stay in cache), and several images' bands can share one column matrix side by
// side: `columnStride` is the row length of the whole matrix.

enum Im2Col {
    /// x: (C,H,W) -> col: (C*kh*kw, rows.count*W') for output rows `rows`, written at `col`
    /// with row length `columnStride`.
    static func im2col(_ x: UnsafePointer<Float>, _ g: WindowGeometry, rows band: Range<Int>,
                       col: UnsafeMutablePointer<Float>, columnStride: Int) {
        if g.strideWidth == 1 && g.outputWidth == g.width {
            im2colKeepingWidth(x, g, rows: band, col: col, columnStride: columnStride)
            return
        }
        let outW = g.outputWidth
        let sw = g.strideWidth
        for c in 0..<g.channels {
            let plane = x + c * g.inputPlane
            for i in 0..<g.kernelHeight {
                let rows = g.validOutputRows(i)
                for j in 0..<g.kernelWidth {
                    let row = col + ((c * g.kernelHeight + i) * g.kernelWidth + j) * columnStride
                    let columns = g.validOutputColumns(j)
                    for oh in band {
                        let dst = row + (oh - band.lowerBound) * outW
                        guard rows.contains(oh), !columns.isEmpty else {
                            dst.update(repeating: 0, count: outW)
                            continue
                        }
                        if columns.lowerBound > 0 { dst.update(repeating: 0, count: columns.lowerBound) }
                        if columns.upperBound < outW {
                            (dst + columns.upperBound).update(repeating: 0, count: outW - columns.upperBound)
                        }
                        // ow = columns.lowerBound reads input column ow * sw - left + j.
                        let src = plane + g.inputRow(oh, i) * g.width + columns.lowerBound * sw - g.padding.left + j
                        if sw == 1 {
                            (dst + columns.lowerBound).update(from: src, count: columns.count)
                        } else {
                            let out = dst + columns.lowerBound
                            for k in 0..<columns.count { out[k] = src[k * sw] }
                        }
                    }
                }
            }
        }
    }

    /// `im2col` when output rows are as wide as input rows (stride 1 across, padding that keeps
    /// the width: the usual 3x3 pad 1 and 5x5 pad 2). Then the valid output rows of one column-
    /// matrix row read one contiguous run of the input plane, shifted by the kernel column, so
    /// each is one copy instead of one per output row (short copies of 8 to 32 floats, whose call
    /// overhead made im2col a sixth of a small network's step); the few entries that wrapped
    /// around a row edge, which should read padding, are zeroed after.
    private static func im2colKeepingWidth(_ x: UnsafePointer<Float>, _ g: WindowGeometry, rows band: Range<Int>,
                                           col: UnsafeMutablePointer<Float>, columnStride: Int) {
        let width = g.width, planeCount = g.inputPlane
        for c in 0..<g.channels {
            let plane = x + c * g.inputPlane
            for i in 0..<g.kernelHeight {
                let valid = g.validOutputRows(i).clamped(to: band)
                for j in 0..<g.kernelWidth {
                    let row = col + ((c * g.kernelHeight + i) * g.kernelWidth + j) * columnStride
                    let columns = g.validOutputColumns(j)
                    guard !valid.isEmpty, !columns.isEmpty else {
                        row.update(repeating: 0, count: band.count * width)
                        continue
                    }
                    // Output rows of the band above and below the valid ones read padding.
                    let above = (valid.lowerBound - band.lowerBound) * width, below = (band.upperBound - valid.upperBound) * width
                    if above > 0 { row.update(repeating: 0, count: above) }
                    if below > 0 { (row + above + valid.count * width).update(repeating: 0, count: below) }
                    // Entry k of the run reads plane[start + k]; entries outside the plane are
                    // wrapped-around columns, zeroed below with the others.
                    let dst = row + above, count = valid.count * width
                    let start = g.inputRow(valid.lowerBound, i) * width - g.padding.left + j
                    let first = max(0, -start), last = min(count, planeCount - start)
                    if last > first { (dst + first).update(from: plane + start + first, count: last - first) }
                    for r in 0..<valid.count {
                        let line = dst + r * width
                        for ow in 0..<columns.lowerBound { line[ow] = 0 }
                        for ow in columns.upperBound..<width { line[ow] = 0 }
                    }
                }
            }
        }
    }

    /// The adjoint of `im2col`: col: (C*kh*kw, rows.count*W') (row length `columnStride`) for
    /// output rows `rows` -> dx: (C,H,W), ADDED into dx (overlapping windows sum; the caller
    /// zeroes dx first).
    static func col2imAdding(_ col: UnsafePointer<Float>, columnStride: Int, _ g: WindowGeometry, rows band: Range<Int>,
                             into dx: UnsafeMutablePointer<Float>) {
        let outW = g.outputWidth
        let sw = g.strideWidth
        for c in 0..<g.channels {
            let plane = dx + c * g.inputPlane
            for i in 0..<g.kernelHeight {
                let rows = g.validOutputRows(i)
                for j in 0..<g.kernelWidth {
                    let row = col + ((c * g.kernelHeight + i) * g.kernelWidth + j) * columnStride
                    let columns = g.validOutputColumns(j)
                    guard !columns.isEmpty else { continue }
                    for oh in rows.clamped(to: band) {
                        let src = row + (oh - band.lowerBound) * outW + columns.lowerBound
                        let dst = plane + g.inputRow(oh, i) * g.width + columns.lowerBound * sw - g.padding.left + j
                        if sw == 1 {
                            for k in 0..<columns.count { dst[k] += src[k] }
                        } else {
                            for k in 0..<columns.count { dst[k * sw] += src[k] }
                        }
                    }
                }
            }
        }
    }
}
