import Basics
// Convolution as im2col + sgemm, the batch split over the cores (each worker one-thread BLAS).
//
// Per group g (Kg = K/groups output channels, CgKK = C/groups*kh*kw rows of the column matrix)
// and per block of output columns:
//   forward   y_g (Kg, cols)     = W_g (Kg, CgKK) * col_g (CgKK, cols)
//   backward  dW_g (Kg, CgKK)   += dy_g (Kg, cols) * col_g^T
//             dcol_g (CgKK, cols) = W_g^T * dy_g, then col2im -> dx
// A block is either a band of output rows of one image (large maps: the column matrix of a
// whole 32x32 image is 2.4 MB for 64 channels, more than a core's 1 MB L2 cache; a band's stays
// inside it between im2col writing it and sgemm reading it) or several whole images side by
// side (small maps, 8x8 or 4x4, whose own multiplies would be too narrow for sgemm to run
// well). Both aim at about `targetColumns` columns.
//
// A batch smaller than the worker count (one image: single-image latency) would leave workers
// idle, so its forward pass splits each image instead: by output rows when the map has more
// pixels than there are output channels (early layers: large maps, few channels), otherwise by
// output channels (late layers: 7x7 maps, 1280 channels), each worker multiplying its slice of
// the weight rows.

/// The sizes of one convolution call.
struct ConvolutionShape: Sendable {
    let batch: Int, outChannels: Int, groups: Int
    /// Per image, all input channels.
    let geometry: WindowGeometry

    /// Columns per multiply (see the top of the file). On the reference machine (conv3x3
    /// 64->64, 32x32, batch 128) 256 to 1024 measured within noise of each other (about 63 ms
    /// forward); 384 keeps a 64-channel 3x3 band (576 x 384 floats, 0.9 MB) within L2.
    static let targetColumns = 384

    var inChannels: Int { geometry.channels }
    var groupInRows: Int { geometry.channels / groups * geometry.kernelArea }  // CgKK
    var groupOutChannels: Int { outChannels / groups }                          // Kg
    var weightCount: Int { outChannels * groupInRows }
    var inputImage: Int { geometry.channels * geometry.inputPlane }
    var outputImage: Int { outChannels * geometry.outputPlane }

    /// A 1x1, stride-1, unpadded kernel: the column matrix of one image is the image itself.
    var isPointwise: Bool {
        let g = geometry
        return g.kernelArea == 1 && g.strideHeight == 1 && g.strideWidth == 1 && g.padding == .zero
    }

    /// Whole images per block (1 when maps are large enough to be cut into bands).
    var imagesPerBlock: Int {
        max(1, min(batch, Self.targetColumns / max(1, geometry.outputPlane)))
    }

    /// Output rows per band when images are cut.
    var rowsPerBand: Int {
        imagesPerBlock > 1 ? geometry.outputHeight : max(1, min(geometry.outputHeight, Self.targetColumns / max(1, geometry.outputWidth)))
    }

    /// The widest block, in columns.
    var maximumBlockColumns: Int { imagesPerBlock * rowsPerBand * geometry.outputWidth }

    /// How a forward pass splits its images over workers when the batch is smaller than the
    /// worker count.
    struct ImageSplit {
        enum Axis { case rows, channels }
        let by: Axis
        let workers: Int
    }

    /// Multiply-adds per worker below which splitting an image is not worth waking a worker.
    static let minimumSplitWork = 1 << 18

    /// The split of each image over up to `workers` workers (see the top of the file), or nil
    /// when the images are too small to share.
    func splitWithinImages(workers: Int) -> ImageSplit? {
        let work = batch * outChannels * groupInRows * geometry.outputPlane
        let useful = min(workers, work / Self.minimumSplitWork)
        guard useful > 1 else { return nil }
        let rowsFit = geometry.outputHeight >= useful, channelsFit = groups == 1 && outChannels >= 8 * useful
        if rowsFit && (geometry.outputPlane >= outChannels || !channelsFit) { return ImageSplit(by: .rows, workers: useful) }
        if channelsFit { return ImageSplit(by: .channels, workers: useful) }
        return nil
    }

    /// Calls body(first image, image count, output rows) for the blocks of `images`, in order
    /// (the bands of an image come one after another, from the top).
    func forEachBlock(_ images: Range<Int>, _ body: (Int, Int, Range<Int>) -> Void) {
        let perBlock = imagesPerBlock, outH = geometry.outputHeight
        if perBlock > 1 {
            for first in stride(from: images.lowerBound, to: images.upperBound, by: perBlock) {
                body(first, min(perBlock, images.upperBound - first), 0..<outH)
            }
        } else {
            for image in images {
                for top in stride(from: 0, to: outH, by: rowsPerBand) {
                    body(image, 1, top..<min(outH, top + rowsPerBand))
                }
            }
        }
    }
}

enum ConvolutionGEMM {
    /// x: (N,C,H,W), weight: (K,C/groups,kh,kw), bias: (K) or nil -> y: (N,K,H',W') (overwritten).
    static func forward(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                        y: UnsafeMutablePointer<Float>, shape s: ConvolutionShape) {
        let px = SharedPointer(UnsafeBufferPointer(start: x, count: s.batch * s.inputImage))
        let pw = SharedPointer(UnsafeBufferPointer(start: weight, count: s.weightCount))
        let pb = bias.map { SharedPointer(UnsafeBufferPointer(start: $0, count: s.outChannels)) }
        let py = SharedMutablePointer(UnsafeMutableBufferPointer(start: y, count: s.batch * s.outputImage))
        let workers = Parallel.workerCount(for: s.batch)
        if workers < Parallel.maximumWorkers, let split = s.splitWithinImages(workers: Parallel.maximumWorkers) {
            Parallel.forEachRange(count: split.workers, workers: split.workers) { worker, _ in
                forwardPart(worker, of: split, x: px.base, weight: pw.base, bias: pb?.base, y: py.base, shape: s)
            }
            return
        }
        Parallel.forEachRange(count: s.batch, workers: workers) { _, images in
            forwardImages(images, x: px.base, weight: pw.base, bias: pb?.base, y: py.base, shape: s)
        }
    }

    /// One worker's part of a forward pass split within images: its output rows (all channels)
    /// or its output channels (all rows) of every image, band by band.
    private static func forwardPart(_ worker: Int, of split: ConvolutionShape.ImageSplit, x: UnsafePointer<Float>,
                                    weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                    y: UnsafeMutablePointer<Float>, shape s: ConvolutionShape) {
        let outH = s.geometry.outputHeight, outW = s.geometry.outputWidth, plane = s.geometry.outputPlane
        let rows: Range<Int>, channels: Range<Int>
        switch split.by {
        case .rows:
            (rows, channels) = (Parallel.range(worker, of: split.workers, count: outH), 0..<s.outChannels)
        case .channels:
            // Slices of whole 8-row panels of the weight matrix (sgemm's kernels work in such panels).
            let panels = Parallel.range(worker, of: split.workers, count: (s.outChannels + 7) / 8)
            (rows, channels) = (0..<outH, min(s.outChannels, panels.lowerBound * 8)..<min(s.outChannels, panels.upperBound * 8))
        }
        guard !rows.isEmpty, !channels.isEmpty else { return }
        let bandRows = min(rows.count, s.rowsPerBand)
        let col = UnsafeMutablePointer<Float>.allocate(capacity: s.isPointwise ? 0 : s.groups * s.groupInRows * bandRows * outW)
        defer { col.deallocate() }
        for image in 0..<s.batch {
            for top in stride(from: rows.lowerBound, to: rows.upperBound, by: bandRows) {
                let band = top..<min(rows.upperBound, top + bandRows), columnCount = band.count * outW
                let (columns, ldColumns) = columnMatrix(x: x, first: image, count: 1, rows: band, col: col, shape: s)
                let out = y + image * s.outputImage + band.lowerBound * outW
                let beta = fillBias(bias, channels: channels, columns: columnCount, into: out, ld: plane)
                if channels.count == s.outChannels {
                    for g in 0..<s.groups {
                        BLAS.sgemm(m: s.groupOutChannels, n: columnCount, k: s.groupInRows,
                                   a: weight + g * s.groupOutChannels * s.groupInRows, lda: s.groupInRows,
                                   b: columns + g * s.groupInRows * ldColumns, ldb: ldColumns,
                                   beta: beta, c: out + g * s.groupOutChannels * plane, ldc: plane)
                    }
                } else {  // one group (splitWithinImages splits channels only then)
                    BLAS.sgemm(m: channels.count, n: columnCount, k: s.groupInRows,
                               a: weight + channels.lowerBound * s.groupInRows, lda: s.groupInRows,
                               b: columns, ldb: ldColumns,
                               beta: beta, c: out + channels.lowerBound * plane, ldc: plane)
                }
            }
        }
    }

    private static func forwardImages(_ images: Range<Int>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                      bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>,
                                      shape s: ConvolutionShape) {
        guard !images.isEmpty else { return }
        let plane = s.geometry.outputPlane, outW = s.geometry.outputWidth
        let col = UnsafeMutablePointer<Float>.allocate(capacity: s.groups * s.groupInRows * s.maximumBlockColumns)
        defer { col.deallocate() }
        // (K, columns) when several images share a block; their outputs are scattered afterwards.
        let wide = UnsafeMutablePointer<Float>.allocate(capacity: s.imagesPerBlock > 1 ? s.outChannels * s.maximumBlockColumns : 0)
        defer { wide.deallocate() }

        s.forEachBlock(images) { first, b, rows in
            let band = rows.count * outW, ld = b * band
            let (columns, ldColumns) = columnMatrix(x: x, first: first, count: b, rows: rows, col: col, shape: s)
            // Straight into y (row length P) for one image; into `wide` for several.
            // (The bias goes in first for one image, sgemm adding to it; for several it is added
            // as the outputs are scattered.)
            let (out, ldOut) = b == 1 ? (y + first * s.outputImage + rows.lowerBound * outW, plane) : (wide, ld)
            let beta = b == 1 ? fillBias(bias, channels: 0..<s.outChannels, columns: band, into: out, ld: plane) : 0
            for g in 0..<s.groups {
                // y_g (Kg, cols) = W_g (Kg, CgKK) * col_g (CgKK, cols)
                BLAS.sgemm(m: s.groupOutChannels, n: ld, k: s.groupInRows,
                           a: weight + g * s.groupOutChannels * s.groupInRows, lda: s.groupInRows,
                           b: columns + g * s.groupInRows * ldColumns, ldb: ldColumns,
                           beta: beta, c: out + g * s.groupOutChannels * ldOut, ldc: ldOut)
            }
            if b > 1 {
                for t in 0..<b {
                    let image = y + (first + t) * s.outputImage + rows.lowerBound * outW
                    for k in 0..<s.outChannels {
                        let dst = image + k * plane, src = wide + k * ld + t * band
                        if let bias {
                            let value = bias[k]
                            for p in 0..<band { dst[p] = src[p] + value }
                        } else {
                            dst.update(from: src, count: band)
                        }
                    }
                }
            }
        }
    }

    /// Writes bias[k] over `columns` floats of rows `channels` of `out` (row length `ld`) and
    /// returns the beta for the sgemm that adds to them: 1, or 0 without a bias.
    private static func fillBias(_ bias: UnsafePointer<Float>?, channels: Range<Int>, columns: Int,
                                 into out: UnsafeMutablePointer<Float>, ld: Int) -> Float {
        guard let bias else { return 0 }
        for k in channels { (out + k * ld).update(repeating: bias[k], count: columns) }
        return 1
    }

    /// The column matrix (C*kh*kw, b * rows.count * W') of a block and its row length: the
    /// image itself (row length P) for one image under a pointwise kernel, otherwise im2col
    /// into `col`.
    private static func columnMatrix(x: UnsafePointer<Float>, first: Int, count b: Int, rows: Range<Int>,
                                     col: UnsafeMutablePointer<Float>, shape s: ConvolutionShape) -> (UnsafePointer<Float>, Int) {
        let outW = s.geometry.outputWidth
        if b == 1 && s.isPointwise { return (x + first * s.inputImage + rows.lowerBound * outW, s.geometry.outputPlane) }
        let band = rows.count * outW, ld = b * band
        if s.isPointwise {
            // Each channel's rows of the band, side by side per image: one copy per channel and image.
            for t in 0..<b {
                let image = x + (first + t) * s.inputImage + rows.lowerBound * outW
                for c in 0..<s.inChannels { (col + c * ld + t * band).update(from: image + c * s.geometry.inputPlane, count: band) }
            }
            return (UnsafePointer(col), ld)
        }
        for t in 0..<b {
            Im2Col.im2col(x + (first + t) * s.inputImage, s.geometry, rows: rows, col: col + t * band, columnStride: ld)
        }
        return (UnsafePointer(col), ld)
    }

    /// dy: (N,K,H',W') -> dx: (N,C,H,W) (overwritten; nil: not computed); dWeight:
    /// (K,C/groups,kh,kw) and dBias: (K) are ADDED to.
    static func backward(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                         dx: UnsafeMutablePointer<Float>?, dWeight: UnsafeMutablePointer<Float>,
                         dBias: UnsafeMutablePointer<Float>?, shape s: ConvolutionShape) {
        let workers = Parallel.workerCount(for: s.batch)
        // Worker 0 accumulates straight into the layer's gradients; the others into scratch
        // slices summed in at the end (no locks, a deterministic sum order).
        let slice = s.weightCount + s.outChannels
        var scratch = [Float](repeating: 0, count: (workers - 1) * slice)
        let px = SharedPointer(UnsafeBufferPointer(start: x, count: s.batch * s.inputImage))
        let pw = SharedPointer(UnsafeBufferPointer(start: weight, count: s.weightCount))
        let pdy = SharedPointer(UnsafeBufferPointer(start: dy, count: s.batch * s.outputImage))
        let pdx = dx.map { SharedMutablePointer(UnsafeMutableBufferPointer(start: $0, count: s.batch * s.inputImage)) }
        let pdw = SharedMutablePointer(UnsafeMutableBufferPointer(start: dWeight, count: s.weightCount))
        let pdb = dBias.map { SharedMutablePointer(UnsafeMutableBufferPointer(start: $0, count: s.outChannels)) }
        scratch.withUnsafeMutableBufferPointer { scratchBuffer in
            let pscratch = SharedMutablePointer(scratchBuffer)
            Parallel.forEachRange(count: s.batch, workers: workers) { worker, images in
                let own = pscratch.base + max(0, worker - 1) * slice
                let dw = worker == 0 ? pdw.base : own
                let db = pdb.map { worker == 0 ? $0.base : own + s.weightCount }
                backwardImages(images, x: px.base, weight: pw.base, dy: pdy.base, dx: pdx?.base,
                               dWeight: dw, dBias: db, shape: s)
            }
        }
        for worker in 1..<max(1, workers) {
            let base = (worker - 1) * slice
            for i in 0..<s.weightCount { dWeight[i] += scratch[base + i] }
            if let dBias {
                for k in 0..<s.outChannels { dBias[k] += scratch[base + s.weightCount + k] }
            }
        }
    }

    private static func backwardImages(_ images: Range<Int>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                       dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                                       dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>?,
                                       shape s: ConvolutionShape) {
        guard !images.isEmpty else { return }
        let plane = s.geometry.outputPlane, outW = s.geometry.outputWidth
        let capacity = s.groups * s.groupInRows * s.maximumBlockColumns
        let col = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
        defer { col.deallocate() }
        let dcol = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
        defer { dcol.deallocate() }
        let wide = UnsafeMutablePointer<Float>.allocate(capacity: s.imagesPerBlock > 1 ? s.outChannels * s.maximumBlockColumns : 0)
        defer { wide.deallocate() }

        s.forEachBlock(images) { first, b, rows in
            let band = rows.count * outW, ld = b * band
            let (columns, ldColumns) = columnMatrix(x: x, first: first, count: b, rows: rows, col: col, shape: s)
            // dy of the block as one (K, cols) matrix: in place for one image, gathered for several.
            let grad: UnsafePointer<Float>, ldGrad: Int
            if b == 1 {
                (grad, ldGrad) = (dy + first * s.outputImage + rows.lowerBound * outW, plane)
            } else {
                for t in 0..<b {
                    for k in 0..<s.outChannels {
                        (wide + k * ld + t * band).update(from: dy + (first + t) * s.outputImage + k * plane, count: band)
                    }
                }
                (grad, ldGrad) = (UnsafePointer(wide), ld)
            }
            // A pointwise kernel's dcol of one image is its dx.
            let direct = b == 1 && s.isPointwise
            let (dcolBase, ldDcol) = direct && dx != nil ? (dx! + first * s.inputImage + rows.lowerBound * outW, plane) : (dcol, ld)
            for g in 0..<s.groups {
                let wg = weight + g * s.groupOutChannels * s.groupInRows
                let dyg = grad + g * s.groupOutChannels * ldGrad
                // dW_g (Kg, CgKK) += dy_g (Kg, cols) * col_g^T (cols, CgKK)
                BLAS.sgemm(transposeB: true, m: s.groupOutChannels, n: s.groupInRows, k: ld,
                           a: dyg, lda: ldGrad, b: columns + g * s.groupInRows * ldColumns, ldb: ldColumns,
                           beta: 1, c: dWeight + g * s.groupOutChannels * s.groupInRows, ldc: s.groupInRows)
                guard dx != nil else { continue }
                // dcol_g (CgKK, cols) = W_g^T (CgKK, Kg) * dy_g (Kg, cols)
                BLAS.sgemm(transposeA: true, m: s.groupInRows, n: ld, k: s.groupOutChannels,
                           a: wg, lda: s.groupInRows, b: dyg, ldb: ldGrad,
                           beta: 0, c: dcolBase + g * s.groupInRows * ldDcol, ldc: ldDcol)
            }
            if let dx, !direct {
                for t in 0..<b {
                    let image = dx + (first + t) * s.inputImage
                    if s.isPointwise {
                        // col2im of a pointwise kernel adds each entry once: a copy per channel.
                        for c in 0..<s.inChannels {
                            (image + c * s.geometry.inputPlane + rows.lowerBound * outW).update(from: dcol + c * ld + t * band, count: band)
                        }
                        continue
                    }
                    if rows.lowerBound == 0 { image.update(repeating: 0, count: s.inputImage) }
                    Im2Col.col2imAdding(dcol + t * band, columnStride: ld, s.geometry, rows: rows, into: image)
                }
            }
            if let dBias {
                for k in 0..<s.outChannels {
                    var total: Float = 0
                    for t in 0..<b {
                        let row = dy + (first + t) * s.outputImage + k * plane + rows.lowerBound * outW
                        for p in 0..<band { total += row[p] }
                    }
                    dBias[k] += total
                }
            }
        }
    }
}
