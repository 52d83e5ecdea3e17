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

import WinogradKernelsAVX2

extension WinogradConvolution {
    /// dWeight (K,C,r,r) and dBias (K) are ADDED to; x: (N,C,H,W), dy: (N,K,H',W'), `t` the
    /// forward's transform (`transform(for: s)`).
    static func weightGradient(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dWeight: UnsafeMutablePointer<Float>,
                               dBias: UnsafeMutablePointer<Float>?, shape s: ConvolutionShape, transform t: WinogradTransform) {
        let tiles = tiling(s, t), swapped = t.weightGradient
        let c = s.inChannels, k = s.outChannels, positions = WinogradTransform.tile * WinogradTransform.tile
        let workers = blockWorkers(s, tiles)
        let sums = UnsafeMutablePointer<Float>.allocate(capacity: workers * positions * k * c)
        defer { sums.deallocate() }
        sums.initialize(repeating: 0, count: workers * positions * k * c)
        let px = SharedPointer(UnsafeBufferPointer(start: x, count: s.batch * s.inputImage))
        let pdy = SharedPointer(UnsafeBufferPointer(start: dy, count: s.batch * s.outputImage))
        let psums = SharedMutablePointer(UnsafeMutableBufferPointer(start: sums, count: workers * positions * k * c))
        // G' (6 x m), read by every worker.
        swapped.kernelTransform.withUnsafeBufferPointer { kernelTransform in
            let gT = SharedPointer(kernelTransform)
            forEachBlock(s, tiles, otherBandCount: t.outputTile * tiles.bandWidth, workers: workers) { worker, block, memory in
                let own = psums.base + worker * positions * k * c
                WinogradTransformsAVX2.input(px.base, channels: c, rows: block, into: memory.v, positionStride: memory.vStride,
                                             band: memory.inputBand, tiling: tiles)
                WinogradTransformsAVX2.gradient(pdy.base, channels: k, rows: block, into: memory.other,
                                                positionStride: memory.otherStride, band: memory.otherBand,
                                                kernelTransform: gT.base, tiling: tiles)
                for p in 0..<positions {
                    // M[p] (K, C) += U'[p] (K, T) * V[p]^T
                    BLAS.sgemm(transposeB: true, m: k, n: c, k: memory.count, a: memory.other + p * memory.otherStride,
                               lda: memory.count, b: memory.v + p * memory.vStride, ldb: memory.count,
                               beta: 1, c: own + p * k * c, ldc: c)
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

    /// dW[filter] += A'^T M[.][filter] A' (r x r from 6 x 6), A' from F(r, m).
    private static func addKernelGradients(_ sums: UnsafePointer<Float>, into dWeight: UnsafeMutablePointer<Float>,
                                           filters: Int, _ swapped: WinogradTransform) {
        let r = swapped.outputTile
        let half = UnsafeMutablePointer<Float>.allocate(capacity: r * 6)  // A'^T M
        defer { half.deallocate() }
        swapped.outputTransform.withUnsafeBufferPointer { aT in  // A'^T (r x 6)
            for filter in 0..<filters {
                let out = dWeight + filter * r * r
                WinogradTransform.sandwich(aT.baseAddress!, rows: r, columns: 6, half: half, { sums[($0 * 6 + $1) * filters + filter] },
                                           { out[$0 * r + $1] += $2 })
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
