import Basics
// Stride-1 3x3 and 5x5 convolutions by Winograd's F(4x4, 3x3) and F(2x2, 5x5) (see
// WinogradTransform): fewer multiplies than im2col + sgemm, for the forward pass and for the
// input gradient, itself a stride-1 convolution (the weight gradient: WinogradWeightGradient).
//
// The output is cut into m x m tiles (the last row and column of tiles may hang over the edge;
// what they compute there is dropped), each read from a 6 x 6 input tile. For a block of tiles
// (whole rows of tiles, of one image or several, T tiles in all):
//   V[p] (C, T) = B^T d B      for every channel and tile, p = one of the 36 tile positions
//   M[p] (K, T) = U[p] (K, C) * V[p]     36 sgemms, U[p] = G g G^T of the weights
//   y tile      = A^T M A      for every output channel and tile, plus the bias
// The work is split over the cores by rows of tiles (so a single image uses every core too).
// The tile transforms are WinogradKernelsAVX2's, built for CPUs with AVX2 and FMA; on others
// every convolution takes im2col.

import CCPUFeatures
import WinogradKernelsAVX2

enum WinogradConvolution {
    /// Whether this CPU can run WinogradKernelsAVX2 (asked once).
    static let cpuSupported = hs_cpu_has_avx2_fma() != 0

    /// Below this many input channels the 36 multiplies are too thin (inner dimension C) and the
    /// transforms, per input and per output channel, cost more than they save: a first layer's
    /// 3 channels stay with im2col. (With the threshold at 3, dsh's and dath's 3-channel first
    /// layers by Winograd made encoding no faster and a training step slower, by `hashscope
    /// bench network --threads 1`, 2026-12-04, with other work on the CPU.)
    static let minimumInputChannels = 16

    /// Bytes of V and M together per block: about twice a core's L2, so a block's tiles, written
    /// by the input transform, are still in cache (L2 or L3) when the sgemms read them. (On the
    /// development machine, 2026-12-04, 256 KB to 4 MB measured within noise of each other in
    /// `hashscope bench network` for dsh and cbam; 8 MB was slower.)
    static let blockBytes = 2 << 20

    /// Output tiles (over the batch) a pass needs before Winograd pays: every pass transforms
    /// all K x C kernels (36 values each) before its first tile, which costs about what a few
    /// tiles save. (ResNet-50 at 224, one image, `hashscope bench network --encode-only`,
    /// 2026-12-06: its 7 x 7 and 14 x 14 stages, 4 and 16 tiles, spent more in the kernel
    /// transform than the whole im2col convolution takes.) Tests lower it to run the kernel on
    /// small maps.
    nonisolated(unsafe) static var minimumTiles = 32

    /// The transform for this convolution, or nil when it is not a stride-1, ungrouped, square
    /// 3x3 or 5x5 one with enough input channels and output tiles, or the CPU lacks AVX2 and FMA.
    static func transform(for s: ConvolutionShape) -> WinogradTransform? {
        let g = s.geometry
        guard cpuSupported, s.groups == 1, g.strideHeight == 1, g.strideWidth == 1, g.kernelHeight == g.kernelWidth,
              s.inChannels >= minimumInputChannels, let transform = WinogradTransform.forKernel(g.kernelHeight) else { return nil }
        let m = transform.outputTile
        let tiles = s.batch * ((g.outputHeight + m - 1) / m) * ((g.outputWidth + m - 1) / m)
        return tiles >= minimumTiles ? transform : nil
    }

    /// The convolution whose forward pass gives `s`'s input gradient, and its transform, when
    /// Winograd can run it. For stride 1, dx is dy convolved with each kernel turned half a turn,
    /// input and output channels swapped (K in, C out), padded r - 1 - p on each side (so H' grows
    /// back to H); padding wider than r - 1 would need cropping instead, and stays with im2col.
    static func inputGradientConvolution(of s: ConvolutionShape) -> (shape: ConvolutionShape, transform: WinogradTransform)? {
        let g = s.geometry, r = g.kernelHeight, p = g.padding
        guard s.groups == 1, g.strideHeight == 1, g.strideWidth == 1, g.kernelWidth == r,
              max(p.top, p.bottom, p.left, p.right) <= r - 1 else { return nil }
        let geometry = WindowGeometry(channels: s.outChannels, height: g.outputHeight, width: g.outputWidth,
                                      kernelHeight: r, kernelWidth: r, strideHeight: 1, strideWidth: 1,
                                      padding: Padding(top: r - 1 - p.top, bottom: r - 1 - p.bottom,
                                                       left: r - 1 - p.left, right: r - 1 - p.right))
        let shape = ConvolutionShape(batch: s.batch, outChannels: s.inChannels, groups: 1, geometry: geometry)
        return transform(for: shape).map { (shape, $0) }
    }

    /// dy: (N,K,H',W') -> dx: (N,C,H,W) (overwritten), for `inputGradientConvolution`'s shape
    /// and transform; weight is the forward convolution's (K,C,r,r).
    static func inputGradient(dy: UnsafePointer<Float>, weight: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
                              shape back: ConvolutionShape, transform t: WinogradTransform) {
        let k = back.inChannels, c = back.outChannels, r = t.kernel, area = r * r
        let turned = UnsafeMutablePointer<Float>.allocate(capacity: c * k * area)
        defer { turned.deallocate() }
        for out in 0..<k {
            for channel in 0..<c {
                let source = weight + (out * c + channel) * area, target = turned + (channel * k + out) * area
                for i in 0..<area { target[i] = source[area - 1 - i] }
            }
        }
        forward(x: dy, weight: turned, bias: nil, y: dx, shape: back, transform: t)
    }

    /// x: (N,C,H,W), weight: (K,C,r,r), bias: (K) or nil -> y: (N,K,H',W') (overwritten).
    static func forward(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                        y: UnsafeMutablePointer<Float>, shape s: ConvolutionShape, transform t: WinogradTransform) {
        let tiles = tiling(s, t)
        let c = s.inChannels, k = s.outChannels, positions = WinogradTransform.tile * WinogradTransform.tile
        let u = UnsafeMutablePointer<Float>.allocate(capacity: positions * k * c)
        defer { u.deallocate() }
        transformKernels(weight, into: u, outChannels: k, inChannels: c, t)

        let px = SharedPointer(UnsafeBufferPointer(start: x, count: s.batch * s.inputImage))
        let pu = SharedPointer(UnsafeBufferPointer(start: u, count: positions * k * c))
        let pb = bias.map { SharedPointer(UnsafeBufferPointer(start: $0, count: k)) }
        let py = SharedMutablePointer(UnsafeMutableBufferPointer(start: y, count: s.batch * s.outputImage))
        forEachBlock(s, tiles, otherBandCount: tiles.outputBandCount, workers: blockWorkers(s, tiles)) { _, block, memory in
            let count = memory.count
            WinogradTransformsAVX2.input(px.base, channels: c, rows: block, into: memory.v, positionStride: memory.vStride,
                                         band: memory.inputBand, tiling: tiles)
            for p in 0..<positions {
                BLAS.sgemm(m: k, n: count, k: c, a: pu.base + p * k * c, lda: c, b: memory.v + p * memory.vStride, ldb: count,
                           beta: 0, c: memory.other + p * memory.otherStride, ldc: count)
            }
            WinogradTransformsAVX2.output(memory.other, channels: k, positionStride: memory.otherStride, rows: block,
                                          bias: pb?.base, into: py.base, band: memory.otherBand, tiling: tiles)
        }
    }

    /// One worker's memory for one block of tiles: V (C rows of `count` tiles) and the block's
    /// other matrix (K rows: M in the forward pass, U' in the weight gradient), each tile
    /// position's matrix `positionStride` floats after the last, and the input band and the
    /// other matrix's band.
    struct BlockMemory {
        let count: Int
        let v: UnsafeMutablePointer<Float>, vStride: Int
        let other: UnsafeMutablePointer<Float>, otherStride: Int
        let inputBand: UnsafeMutablePointer<Float>, otherBand: UnsafeMutablePointer<Float>
    }

    /// The workers `forEachBlock` uses for `s`: one per core, at most one per row of tiles.
    static func blockWorkers(_ s: ConvolutionShape, _ tiles: WinogradTiling) -> Int {
        Parallel.workerCount(for: s.batch * tiles.tileRows)
    }

    /// Calls body(worker, block, memory) for `s`'s batch cut into blocks of whole rows of tiles
    /// (about `blockBytes` of V and the other matrix each), the rows split over `workers` workers;
    /// each worker allocates its memory once, `otherBandCount` floats for the other band.
    static func forEachBlock(_ s: ConvolutionShape, _ tiles: WinogradTiling, otherBandCount: Int, workers: Int,
                             _ body: @Sendable (_ worker: Int, _ block: Range<Int>, BlockMemory) -> Void) {
        let c = s.inChannels, k = s.outChannels, positions = WinogradTransform.tile * WinogradTransform.tile
        let rowsPerBlock = max(1, blockBytes / (MemoryLayout<Float>.size * positions * (c + k) * tiles.tileColumns))
        Parallel.forEachRange(count: s.batch * tiles.tileRows, workers: workers) { worker, rows in
            guard !rows.isEmpty else { return }
            let capacity = min(rows.count, rowsPerBlock) * tiles.tileColumns
            let v = UnsafeMutablePointer<Float>.allocate(capacity: positions * positionStride(c * capacity))
            defer { v.deallocate() }
            let other = UnsafeMutablePointer<Float>.allocate(capacity: positions * positionStride(k * capacity))
            defer { other.deallocate() }
            let inputBand = UnsafeMutablePointer<Float>.allocate(capacity: 6 * tiles.bandWidth)
            defer { inputBand.deallocate() }
            let otherBand = UnsafeMutablePointer<Float>.allocate(capacity: otherBandCount)
            defer { otherBand.deallocate() }
            for start in stride(from: rows.lowerBound, to: rows.upperBound, by: rowsPerBlock) {
                let block = start..<min(rows.upperBound, start + rowsPerBlock)
                let count = block.count * tiles.tileColumns
                body(worker, block, BlockMemory(count: count, v: v, vStride: positionStride(c * count), other: other,
                                                otherStride: positionStride(k * count), inputBand: inputBand, otherBand: otherBand))
            }
        }
    }

    /// Floats from one tile position's matrix to the next in V and M: at least `size`, and an odd
    /// number of 64-byte cache lines. A tile's 36 values lie one such stride apart; were the
    /// stride a multiple of 4 KB (it often is: 64 channels x 144 tiles x 4 bytes), all 36 would
    /// fall in one set of the L1 cache, evicting each other (measured: the output transform took
    /// a third of dath's encoding).
    /// It also leaves the 8 floats of slack a tile row's last group of eight may write or read.
    static func positionStride(_ size: Int) -> Int {
        let lines = (size + 8 + 15) / 16
        return (lines | 1) * 16
    }

    /// The tiles of `s`'s output, m x m outputs each (the last row and column may hang over).
    static func tiling(_ s: ConvolutionShape, _ t: WinogradTransform) -> WinogradTiling {
        let g = s.geometry
        return WinogradTiling(outputTile: t.outputTile, height: g.height, width: g.width, padTop: g.padding.top,
                              padLeft: g.padding.left, outputHeight: g.outputHeight, outputWidth: g.outputWidth)
    }

    /// U[p][k][c] = (G g G^T)[p] of each (k, c) kernel, split over the cores by output channel.
    /// Kernels are transformed a run of `run` at a time into a local (a*a, run) block, then each
    /// of its a*a rows is copied out whole: writing U directly, one value per plane `filters`
    /// apart, missed the cache on every store and cost more than the convolution itself at
    /// batch 1 (54% of a ResNet-50 forward).
    private static func transformKernels(_ weight: UnsafePointer<Float>, into u: UnsafeMutablePointer<Float>,
                                         outChannels: Int, inChannels: Int, _ t: WinogradTransform) {
        let a = WinogradTransform.tile, r = t.kernel, filters = outChannels * inChannels, planes = a * a
        let run = 64
        let pw = SharedPointer(UnsafeBufferPointer(start: weight, count: filters * r * r))
        let pu = SharedMutablePointer(UnsafeMutableBufferPointer(start: u, count: planes * filters))
        Parallel.forEachRange(count: outChannels, workers: Parallel.workerCount(for: filters, minimumPerWorker: 4096)) { _, channels in
            t.kernelTransform.withUnsafeBufferPointer { g in
                let half = UnsafeMutablePointer<Float>.allocate(capacity: a * r)  // G g
                defer { half.deallocate() }
                let block = UnsafeMutablePointer<Float>.allocate(capacity: planes * run)
                defer { block.deallocate() }
                let end = channels.upperBound * inChannels
                for start in stride(from: channels.lowerBound * inChannels, to: end, by: run) {
                    let count = min(run, end - start)
                    for f in 0..<count {
                        let kernel = pw.base + (start + f) * r * r
                        WinogradTransform.sandwich(g.baseAddress!, rows: a, columns: r, half: half, { kernel[$0 * r + $1] },
                                                   { block[($0 * a + $1) * run + f] = $2 })
                    }
                    for p in 0..<planes {
                        (pu.base + p * filters + start).update(from: block + p * run, count: count)
                    }
                }
            }
        }
    }
}
