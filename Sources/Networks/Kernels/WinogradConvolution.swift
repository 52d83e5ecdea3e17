// Stride-1 3x3 and 5x5 convolutions by Winograd's F(4x4, 3x3) and F(2x2, 5x5) (see
// WinogradTransform): fewer multiplies than im2col + sgemm, for the forward pass and for the
// input gradient, itself a stride-1 convolution (the weight gradient stays im2col's).
//
// The output is cut into m x m tiles (the last row and column of tiles may hang over the edge;
// what they compute there is dropped), each read from a 6 x 6 input tile. For a block of tiles
// (whole rows of tiles, of one image or several, T tiles in all):
//   V[p] (C, T) = B^T d B      for every channel and tile, p = one of the 36 tile positions
//   M[p] (K, T) = U[p] (K, C) * V[p]     36 sgemms, U[p] = G g G^T of the weights
//   y tile      = A^T M A      for every output channel and tile, plus the bias
// The work is split over the cores by rows of tiles (so a single image uses every core too).
// The transforms work on eight neighbouring tiles at once, one per vector lane, so V and M are
// read and written as whole vectors; B^T and A^T are written out as sums (see inputTransform).

enum WinogradConvolution {
    /// Below this many input channels the 36 multiplies are too thin (inner dimension C) and the
    /// transforms, per input and per output channel, cost more than they save: a first layer's
    /// 3 channels stay with im2col.
    static let minimumInputChannels = 16

    /// Bytes of V and M together per block: about twice a core's L2, so a block's tiles, written
    /// by the input transform, are still in cache (L2 or L3) when the sgemms read them. (On the
    /// development machine, 2026-12-04, 256 KB to 4 MB measured within noise of each other in
    /// `hashscope bench network` for dsh and cbam; 8 MB was slower.)
    static let blockBytes = 2 << 20

    /// The transform for this convolution, or nil when it is not a stride-1, ungrouped, square
    /// 3x3 or 5x5 one with enough input channels.
    static func transform(for s: ConvolutionShape) -> WinogradTransform? {
        let g = s.geometry
        guard s.groups == 1, g.strideHeight == 1, g.strideWidth == 1, g.kernelHeight == g.kernelWidth,
              s.inChannels >= minimumInputChannels else { return nil }
        return WinogradTransform.forKernel(g.kernelHeight)
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
        let tiles = TileGrid(shape: s, transform: t)
        let c = s.inChannels, k = s.outChannels, positions = WinogradTransform.tile * WinogradTransform.tile
        let u = UnsafeMutablePointer<Float>.allocate(capacity: positions * k * c)
        defer { u.deallocate() }
        transformKernels(weight, into: u, outChannels: k, inChannels: c, t)

        let px = SharedPointer(UnsafeBufferPointer(start: x, count: s.batch * s.inputImage))
        let pu = SharedPointer(UnsafeBufferPointer(start: u, count: positions * k * c))
        let pb = bias.map { SharedPointer(UnsafeBufferPointer(start: $0, count: k)) }
        let py = SharedMutablePointer(UnsafeMutableBufferPointer(start: y, count: s.batch * s.outputImage))
        let totalRows = s.batch * tiles.rows
        let rowsPerBlock = max(1, blockBytes / (MemoryLayout<Float>.size * positions * (c + k) * tiles.columns))
        Parallel.forEachRange(count: totalRows, workers: Parallel.workerCount(for: totalRows)) { _, rows in
            guard !rows.isEmpty else { return }
            let capacity = min(rows.count, rowsPerBlock) * tiles.columns
            let v = UnsafeMutablePointer<Float>.allocate(capacity: positions * positionStride(c * capacity))
            defer { v.deallocate() }
            let m = UnsafeMutablePointer<Float>.allocate(capacity: positions * positionStride(k * capacity))
            defer { m.deallocate() }
            let inputBand = UnsafeMutablePointer<Float>.allocate(capacity: 6 * inputBandWidth(tiles))
            defer { inputBand.deallocate() }
            let outputBand = UnsafeMutablePointer<Float>.allocate(capacity: tiles.transform.outputTile * groupedColumns(tiles) * tiles.transform.outputTile)
            defer { outputBand.deallocate() }
            for start in stride(from: rows.lowerBound, to: rows.upperBound, by: rowsPerBlock) {
                let block = start..<min(rows.upperBound, start + rowsPerBlock)
                let count = block.count * tiles.columns
                let vStride = positionStride(c * count), mStride = positionStride(k * count)
                transformInput(px.base, rows: block, into: v, positionStride: vStride, band: inputBand, tiles: tiles, shape: s)
                for p in 0..<positions {
                    BLAS.sgemm(m: k, n: count, k: c, a: pu.base + p * k * c, lda: c,
                               b: v + p * vStride, ldb: count, beta: 0, c: m + p * mStride, ldc: count)
                }
                transformOutput(m, positionStride: mStride, rows: block, bias: pb?.base, into: py.base, band: outputBand,
                                tiles: tiles, shape: s)
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

    /// The output's tiles: `rows` x `columns` of them per image, m x m outputs each.
    struct TileGrid {
        let transform: WinogradTransform
        let rows: Int, columns: Int

        init(shape s: ConvolutionShape, transform: WinogradTransform) {
            self.transform = transform
            let m = transform.outputTile
            rows = (s.geometry.outputHeight + m - 1) / m
            columns = (s.geometry.outputWidth + m - 1) / m
        }
    }

    /// U[p][k][c] = (G g G^T)[p] of each (k, c) kernel, split over the cores by output channel.
    private static func transformKernels(_ weight: UnsafePointer<Float>, into u: UnsafeMutablePointer<Float>,
                                         outChannels: Int, inChannels: Int, _ t: WinogradTransform) {
        let a = WinogradTransform.tile, r = t.kernel, filters = outChannels * inChannels
        let pw = SharedPointer(UnsafeBufferPointer(start: weight, count: filters * r * r))
        let pu = SharedMutablePointer(UnsafeMutableBufferPointer(start: u, count: a * a * filters))
        Parallel.forEachRange(count: outChannels, workers: Parallel.workerCount(for: filters, minimumPerWorker: 4096)) { _, channels in
            let g = t.kernelTransform
            var half = [Float](repeating: 0, count: a * r)  // G g
            for filter in (channels.lowerBound * inChannels)..<(channels.upperBound * inChannels) {
                let kernel = pw.base + filter * r * r
                for i in 0..<a {
                    for j in 0..<r {
                        var total: Float = 0
                        for q in 0..<r { total += g[i * r + q] * kernel[q * r + j] }
                        half[i * r + j] = total
                    }
                }
                for i in 0..<a {
                    for j in 0..<a {
                        var total: Float = 0
                        for q in 0..<r { total += half[i * r + q] * g[j * r + q] }
                        pu.base[(i * a + j) * filters + filter] = total
                    }
                }
            }
        }
    }

    /// Eight tiles side by side, one per lane.
    typealias Lanes = SIMD8<Float>

    /// B^T d of a 6-vector d, as WinogradTransform builds B^T for the points 0, 1, -1, 2, -2 and
    /// infinity (rows 4 0 -5 0 1 0 / 0 4 4 -1 -1 0 / 0 -4 4 1 -1 0 / 0 -2 -1 2 1 0 /
    /// 0 2 -1 -2 1 0 / 0 4 0 -5 0 1; a test checks the two agree), written out so shared sums
    /// are computed once and its 14 zeros cost nothing.
    @inline(__always)
    static func inputTransform(_ d0: Lanes, _ d1: Lanes, _ d2: Lanes, _ d3: Lanes, _ d4: Lanes, _ d5: Lanes)
        -> (Lanes, Lanes, Lanes, Lanes, Lanes, Lanes) {
        let sum12 = d1 + d2, sum34 = d3 + d4, difference21 = d2 - d1, difference34 = d3 - d4
        let difference31 = d3 - d1, difference42 = d4 - d2
        return (4 * d0 - 5 * d2 + d4,
                4 * sum12 - sum34,
                4 * difference21 + difference34,
                2 * difference31 + difference42,
                difference42 - 2 * difference31,
                4 * d1 - 5 * d3 + d5)
    }

    /// A^T v of a 6-vector v for F(2, 5) (rows 1 1 1 1 1 0 / 0 1 -1 2 -2 1) and F(4, 3) (rows
    /// 1 1 1 1 1 0 / 0 1 -1 2 -2 0 / 0 1 1 4 4 0 / 0 1 -1 8 -8 1), as WinogradTransform builds
    /// them; the outputs past `m` are zero.
    @inline(__always)
    static func outputTransform(_ m: Int, _ v0: Lanes, _ v1: Lanes, _ v2: Lanes, _ v3: Lanes, _ v4: Lanes, _ v5: Lanes)
        -> (Lanes, Lanes, Lanes, Lanes) {
        let sum12 = v1 + v2, difference12 = v1 - v2, sum34 = v3 + v4, difference34 = v3 - v4
        if m == 2 { return (v0 + sum12 + sum34, difference12 + 2 * difference34 + v5, .zero, .zero) }
        return (v0 + sum12 + sum34, difference12 + 2 * difference34, sum12 + 4 * sum34, difference12 + 8 * difference34 + v5)
    }

    /// Values s, s + m, ..., s + 7m of `row`: column s of eight consecutive tiles.
    @inline(__always)
    static func gather(_ row: UnsafePointer<Float>, _ s: Int, outputTile m: Int) -> Lanes {
        let raw = UnsafeRawPointer(row + s)
        let low = raw.loadUnaligned(as: SIMD16<Float>.self)
        if m == 2 { return low.evenHalf }
        let high = raw.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
        return Lanes(lowHalf: low.evenHalf.evenHalf, highHalf: high.evenHalf.evenHalf)
    }

    @inline(__always)
    static func store(_ value: Lanes, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: Lanes.self)
    }

    @inline(__always)
    static func load(_ pointer: UnsafePointer<Float>) -> Lanes {
        UnsafeRawPointer(pointer).loadUnaligned(as: Lanes.self)
    }

    /// Tile columns rounded up to whole groups of eight.
    static func groupedColumns(_ tiles: TileGrid) -> Int { (tiles.columns + 7) / 8 * 8 }

    /// Floats of one input band row: the grouped tile columns, the tile's overhang and what the
    /// widest gather reads past a group's last tile.
    static func inputBandWidth(_ tiles: TileGrid) -> Int { groupedColumns(tiles) * tiles.transform.outputTile + 40 }

    /// V[p][c][tile] = (B^T d B)[p] for the tiles of `rows` (global tile rows: image * rows + row),
    /// tile index (row - rows.lowerBound) * columns + column. Each tile row's six input rows are
    /// first copied into `band` (zero where they read padding, band column q = input column
    /// q - left), so tiles at the edges are read like the others. A row's last group of eight may
    /// run past its last tile, into the next row's slots (written after it) or the slack at the
    /// end of each position's matrix.
    static func transformInput(_ x: UnsafePointer<Float>, rows: Range<Int>, into v: UnsafeMutablePointer<Float>,
                                       positionStride stride: Int, band: UnsafeMutablePointer<Float>,
                                       tiles: TileGrid, shape s: ConvolutionShape) {
        let g = s.geometry, m = tiles.transform.outputTile, channels = s.inChannels
        let count = rows.count * tiles.columns, width = inputBandWidth(tiles)
        band.update(repeating: 0, count: 6 * width)
        withUnsafeTemporaryAllocation(of: Lanes.self, capacity: 36) { dB in
            for c in 0..<channels {
                for globalRow in rows {
                    let image = globalRow / tiles.rows, top = (globalRow % tiles.rows) * m - g.padding.top
                    let plane = x + (image * channels + c) * g.inputPlane
                    for r in 0..<6 {
                        let ih = top + r, line = band + r * width + g.padding.left
                        if ih >= 0 && ih < g.height {
                            line.update(from: plane + ih * g.width, count: g.width)
                        } else {
                            line.update(repeating: 0, count: g.width)
                        }
                    }
                    let first = v + c * count + (globalRow - rows.lowerBound) * tiles.columns
                    for group in Swift.stride(from: 0, to: tiles.columns, by: 8) {
                        // d B: B^T along each input row of the tiles...
                        for r in 0..<6 {
                            let row = UnsafePointer(band + r * width + group * m)
                            let e = inputTransform(gather(row, 0, outputTile: m), gather(row, 1, outputTile: m),
                                                   gather(row, 2, outputTile: m), gather(row, 3, outputTile: m),
                                                   gather(row, 4, outputTile: m), gather(row, 5, outputTile: m))
                            dB[r * 6] = e.0; dB[r * 6 + 1] = e.1; dB[r * 6 + 2] = e.2
                            dB[r * 6 + 3] = e.3; dB[r * 6 + 4] = e.4; dB[r * 6 + 5] = e.5
                        }
                        // ...then B^T (d B): down each column b.
                        let out = first + group
                        for b in 0..<6 {
                            let t = inputTransform(dB[b], dB[6 + b], dB[12 + b], dB[18 + b], dB[24 + b], dB[30 + b])
                            store(t.0, out + b * stride); store(t.1, out + (6 + b) * stride)
                            store(t.2, out + (12 + b) * stride); store(t.3, out + (18 + b) * stride)
                            store(t.4, out + (24 + b) * stride); store(t.5, out + (30 + b) * stride)
                        }
                    }
                }
            }
        }
    }

    /// y = A^T M A (+ bias) for the tiles of `rows`: each tile row's m output rows are assembled
    /// in `band` (grouped columns x m wide, m rows), then the part inside the map is copied out.
    private static func transformOutput(_ mBuffer: UnsafePointer<Float>, positionStride stride: Int, rows: Range<Int>,
                                        bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>,
                                        band: UnsafeMutablePointer<Float>, tiles: TileGrid, shape s: ConvolutionShape) {
        let g = s.geometry, m = tiles.transform.outputTile, channels = s.outChannels
        let count = rows.count * tiles.columns, width = groupedColumns(tiles) * m
        let outH = g.outputHeight, outW = g.outputWidth
        withUnsafeTemporaryAllocation(of: Lanes.self, capacity: 24) { mA in
            for k in 0..<channels {
                let offset = bias?[k] ?? 0
                for globalRow in rows {
                    let image = globalRow / tiles.rows, top = (globalRow % tiles.rows) * m
                    let first = mBuffer + k * count + (globalRow - rows.lowerBound) * tiles.columns
                    for group in Swift.stride(from: 0, to: tiles.columns, by: 8) {
                        // M A: A^T along each row a of M...
                        let source = first + group
                        for a in 0..<6 {
                            let row = source + a * 6 * stride
                            let z = outputTransform(m, load(row), load(row + stride), load(row + 2 * stride),
                                                    load(row + 3 * stride), load(row + 4 * stride), load(row + 5 * stride))
                            mA[a * 4] = z.0; mA[a * 4 + 1] = z.1; mA[a * 4 + 2] = z.2; mA[a * 4 + 3] = z.3
                        }
                        // ...then A^T (M A) down each column j, spread into the band's rows.
                        for j in 0..<m {
                            let o = outputTransform(m, mA[j], mA[4 + j], mA[8 + j], mA[12 + j], mA[16 + j], mA[20 + j])
                            let out = band + group * m + j
                            for lane in 0..<8 {
                                out[lane * m] = o.0[lane]
                                out[width + lane * m] = o.1[lane]
                            }
                            if m == 4 {
                                for lane in 0..<8 {
                                    out[2 * width + lane * m] = o.2[lane]
                                    out[3 * width + lane * m] = o.3[lane]
                                }
                            }
                        }
                    }
                    let plane = y + (image * channels + k) * g.outputPlane
                    for i in 0..<min(m, outH - top) {
                        let source = band + i * width, out = plane + (top + i) * outW
                        for q in 0..<outW { out[q] = source[q] + offset }
                    }
                }
            }
        }
    }
}
