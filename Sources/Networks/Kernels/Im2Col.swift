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
