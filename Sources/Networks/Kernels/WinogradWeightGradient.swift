// The weight gradient of a stride-1 3x3 or 5x5 convolution by Winograd, on the forward pass's
// tiles (see WinogradConvolution).
//
// dW[k][c][i][j] = sum over images and output pixels o of dy[k][o] * x[c][o + (i, j)]. Over one
// m x m output tile this is a correlation of the tile's 6 x 6 input d with its m x m piece of dy
// as the filter, giving r x r outputs: F(r x r, m x m), the forward's algorithm with the roles of
// kernel and output swapped (F(3x3, 4x4) for 3x3 kernels, F(5x5, 2x2) for 5x5), on the same six
// points, so its B^T is the forward's and V = B^T d B is computed by the forward's input transform.
// With U'[p] = G' dy G'^T (G' from F(r, m)), and since A'^T [.] A' is linear, the sum over tiles
// moves inside:
//   M[p] (K, C) = sum over tiles of U'[p] (K, T) * V[p]^T (T, C)   36 sgemms a block, added up
//   dW[k][c]    = A'^T M[.][k][c] A'                              once per kernel, at the end
// dy's tiles that hang over the map's edge read zeros there, so their made-up outputs add
// nothing. Workers take rows of tiles and keep their own M, summed in worker order at the end.

extension WinogradConvolution {
    /// dWeight (K,C,r,r) and dBias (K) are ADDED to; x: (N,C,H,W), dy: (N,K,H',W'), `t` the
    /// forward's transform (`transform(for: s)`).
    static func weightGradient(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dWeight: UnsafeMutablePointer<Float>,
                               dBias: UnsafeMutablePointer<Float>?, shape s: ConvolutionShape, transform t: WinogradTransform) {
        let tiles = TileGrid(shape: s, transform: t), swapped = t.weightGradient
        let c = s.inChannels, k = s.outChannels, positions = WinogradTransform.tile * WinogradTransform.tile
        let totalRows = s.batch * tiles.rows, workers = Parallel.workerCount(for: totalRows)
        let sums = UnsafeMutablePointer<Float>.allocate(capacity: workers * positions * k * c)
        defer { sums.deallocate() }
        sums.initialize(repeating: 0, count: workers * positions * k * c)
        let px = SharedPointer(UnsafeBufferPointer(start: x, count: s.batch * s.inputImage))
        let pdy = SharedPointer(UnsafeBufferPointer(start: dy, count: s.batch * s.outputImage))
        let psums = SharedMutablePointer(UnsafeMutableBufferPointer(start: sums, count: workers * positions * k * c))
        let rowsPerBlock = max(1, blockBytes / (MemoryLayout<Float>.size * positions * (c + k) * tiles.columns))
        Parallel.forEachRange(count: totalRows, workers: workers) { worker, rows in
            guard !rows.isEmpty else { return }
            let own = psums.base + worker * positions * k * c
            let capacity = min(rows.count, rowsPerBlock) * tiles.columns
            let v = UnsafeMutablePointer<Float>.allocate(capacity: positions * positionStride(c * capacity))
            defer { v.deallocate() }
            let u = UnsafeMutablePointer<Float>.allocate(capacity: positions * positionStride(k * capacity))
            defer { u.deallocate() }
            let inputBand = UnsafeMutablePointer<Float>.allocate(capacity: 6 * inputBandWidth(tiles))
            defer { inputBand.deallocate() }
            let gradientBand = UnsafeMutablePointer<Float>.allocate(capacity: t.outputTile * inputBandWidth(tiles))
            defer { gradientBand.deallocate() }
            for start in stride(from: rows.lowerBound, to: rows.upperBound, by: rowsPerBlock) {
                let block = start..<min(rows.upperBound, start + rowsPerBlock)
                let count = block.count * tiles.columns
                let vStride = positionStride(c * count), uStride = positionStride(k * count)
                transformInput(px.base, rows: block, into: v, positionStride: vStride, band: inputBand, tiles: tiles, shape: s)
                transformGradient(pdy.base, rows: block, into: u, positionStride: uStride, band: gradientBand,
                                  swapped: swapped, tiles: tiles, shape: s)
                for p in 0..<positions {
                    // M[p] (K, C) += U'[p] (K, T) * V[p]^T
                    BLAS.sgemm(transposeB: true, m: k, n: c, k: count, a: u + p * uStride, lda: count,
                               b: v + p * vStride, ldb: count, beta: 1, c: own + p * k * c, ldc: c)
                }
            }
        }
        for worker in 1..<workers {
            let other = sums + worker * positions * k * c
            for i in 0..<(positions * k * c) { sums[i] += other[i] }
        }
        addKernelGradients(sums, into: dWeight, filters: k * c, swapped)
        if let dBias { addBiasGradients(dy, into: dBias, shape: s) }
    }

    /// U'[p][k][tile] = (G' d G'^T)[p] of each output channel's m x m piece d of dy, eight tiles
    /// at a time; each tile row's m rows of dy are first copied into `band`, zero past the map.
    private static func transformGradient(_ dy: UnsafePointer<Float>, rows: Range<Int>, into u: UnsafeMutablePointer<Float>,
                                          positionStride stride: Int, band: UnsafeMutablePointer<Float>,
                                          swapped: WinogradTransform, tiles: TileGrid, shape s: ConvolutionShape) {
        let g = s.geometry, m = tiles.transform.outputTile, channels = s.outChannels
        let count = rows.count * tiles.columns, width = inputBandWidth(tiles), outH = g.outputHeight, outW = g.outputWidth
        band.update(repeating: 0, count: m * width)
        swapped.kernelTransform.withUnsafeBufferPointer { gT in  // G' (6 x m)
            withUnsafeTemporaryAllocation(of: Lanes.self, capacity: 6 * 4) { rowsG in
                for k in 0..<channels {
                    for globalRow in rows {
                        let image = globalRow / tiles.rows, top = (globalRow % tiles.rows) * m
                        let plane = dy + (image * channels + k) * g.outputPlane
                        for r in 0..<m {
                            let line = band + r * width
                            if top + r < outH {
                                line.update(from: plane + (top + r) * outW, count: outW)
                            } else {
                                line.update(repeating: 0, count: outW)
                            }
                        }
                        let first = u + k * count + (globalRow - rows.lowerBound) * tiles.columns
                        for group in Swift.stride(from: 0, to: tiles.columns, by: 8) {
                            // d G'^T: G' along each of the m rows of the pieces (6 values a row)...
                            for r in 0..<m {
                                let row = UnsafePointer(band + r * width + group * m)
                                var d = (Lanes(), Lanes(), Lanes(), Lanes())
                                d.0 = gather(row, 0, outputTile: m); d.1 = gather(row, 1, outputTile: m)
                                if m == 4 { d.2 = gather(row, 2, outputTile: m); d.3 = gather(row, 3, outputTile: m) }
                                for a in 0..<6 {
                                    var sum = d.0 * gT[a * m] + d.1 * gT[a * m + 1]
                                    if m == 4 { sum += d.2 * gT[a * m + 2] + d.3 * gT[a * m + 3] }
                                    rowsG[r * 6 + a] = sum
                                }
                            }
                            // ...then G' down each of the six columns.
                            let out = first + group
                            for b in 0..<6 {
                                for a in 0..<6 {
                                    var sum = rowsG[b] * gT[a * m] + rowsG[6 + b] * gT[a * m + 1]
                                    if m == 4 { sum += rowsG[12 + b] * gT[a * m + 2] + rowsG[18 + b] * gT[a * m + 3] }
                                    store(sum, out + (a * 6 + b) * stride)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// dW[filter] += A'^T M[.][filter] A' (r x r from 6 x 6), A' from F(r, m).
    private static func addKernelGradients(_ sums: UnsafePointer<Float>, into dWeight: UnsafeMutablePointer<Float>,
                                           filters: Int, _ swapped: WinogradTransform) {
        let r = swapped.outputTile, aT = swapped.outputTransform  // A'^T (r x 6)
        var half = [Float](repeating: 0, count: r * 6)  // A'^T M
        for filter in 0..<filters {
            for i in 0..<r {
                for b in 0..<6 {
                    var total: Float = 0
                    for a in 0..<6 { total += aT[i * 6 + a] * sums[(a * 6 + b) * filters + filter] }
                    half[i * 6 + b] = total
                }
            }
            let out = dWeight + filter * r * r
            for i in 0..<r {
                for j in 0..<r {
                    var total: Float = 0
                    for b in 0..<6 { total += half[i * 6 + b] * aT[j * 6 + b] }
                    out[i * r + j] += total
                }
            }
        }
    }

    /// dBias[k] += the sum of dy over images and pixels.
    private static func addBiasGradients(_ dy: UnsafePointer<Float>, into dBias: UnsafeMutablePointer<Float>,
                                         shape s: ConvolutionShape) {
        let plane = s.geometry.outputPlane
        for k in 0..<s.outChannels {
            var total: Float = 0
            for image in 0..<s.batch {
                let row = dy + (image * s.outChannels + k) * plane
                for p in 0..<plane { total += row[p] }
            }
            dBias[k] += total
        }
    }
}
