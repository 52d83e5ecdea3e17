// The tile transforms of Networks' Winograd convolutions (WinogradConvolution,
// WinogradWeightGradient), compiled for CPUs with AVX2 and FMA: Package.swift builds this module
// alone with -target-cpu haswell, so the eight-lane vectors below are single ymm registers and
// a * b + c is one fused instruction. Nothing here may run unless `hs_cpu_has_avx2_fma()` said
// yes: Networks checks once and otherwise convolves by im2col.
//
// Eight neighbouring tiles are worked on at once, one per vector lane, so the transformed
// matrices V, M and U' (one (channels, tiles) matrix per tile position p, `positionStride`
// floats apart) are read and written as whole vectors. Tiles are m x m outputs read from 6 x 6
// inputs, in rows of `tileColumns` per image; a block is a range of global tile rows
// (image * tileRows + row), tile index (row - rows.lowerBound) * tileColumns + column.

/// Eight tiles side by side, one per lane.
public typealias WinogradLanes = SIMD8<Float>

/// Where the tiles of one convolution lie.
public struct WinogradTiling: Sendable {
    /// Outputs per tile side (m: 4 for F(4x4, 3x3), 2 for F(2x2, 5x5)).
    public let outputTile: Int
    public let tileRows: Int, tileColumns: Int
    /// The input map and its padding above and to the left.
    public let height: Int, width: Int, padTop: Int, padLeft: Int
    public let outputHeight: Int, outputWidth: Int

    public init(outputTile: Int, height: Int, width: Int, padTop: Int, padLeft: Int, outputHeight: Int, outputWidth: Int) {
        precondition(outputTile == 2 || outputTile == 4, "tiles of 2 or 4 outputs, not \(outputTile)")
        self.outputTile = outputTile
        self.height = height; self.width = width; self.padTop = padTop; self.padLeft = padLeft
        self.outputHeight = outputHeight; self.outputWidth = outputWidth
        tileRows = (outputHeight + outputTile - 1) / outputTile
        tileColumns = (outputWidth + outputTile - 1) / outputTile
    }

    /// Tile columns rounded up to whole groups of eight.
    var groupedColumns: Int { (tileColumns + 7) / 8 * 8 }

    /// Floats of one band row: the grouped tile columns, the tile's overhang and what the widest
    /// gather reads past a group's last tile. `input` needs 6 such rows, `gradient` m.
    public var bandWidth: Int { groupedColumns * outputTile + 40 }

    /// Floats of `output`'s band: m rows of the grouped columns' outputs.
    public var outputBandCount: Int { outputTile * groupedColumns * outputTile }
}

public enum WinogradTransformsAVX2 {
    /// B^T d of a 6-vector d, as Networks' WinogradTransform builds B^T for the points 0, 1, -1,
    /// 2, -2 and infinity (rows 4 0 -5 0 1 0 / 0 4 4 -1 -1 0 / 0 -4 4 1 -1 0 / 0 -2 -1 2 1 0 /
    /// 0 2 -1 -2 1 0 / 0 4 0 -5 0 1; a test checks the two agree), written out so shared sums
    /// are computed once and its 14 zeros cost nothing.
    @inline(__always)
    static func inputRows(_ d0: WinogradLanes, _ d1: WinogradLanes, _ d2: WinogradLanes, _ d3: WinogradLanes,
                          _ d4: WinogradLanes, _ d5: WinogradLanes)
        -> (WinogradLanes, WinogradLanes, WinogradLanes, WinogradLanes, WinogradLanes, WinogradLanes) {
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
    static func outputRows(_ m: Int, _ v0: WinogradLanes, _ v1: WinogradLanes, _ v2: WinogradLanes, _ v3: WinogradLanes,
                           _ v4: WinogradLanes, _ v5: WinogradLanes) -> (WinogradLanes, WinogradLanes, WinogradLanes, WinogradLanes) {
        let sum12 = v1 + v2, difference12 = v1 - v2, sum34 = v3 + v4, difference34 = v3 - v4
        if m == 2 { return (v0 + sum12 + sum34, difference12 + 2 * difference34 + v5, .zero, .zero) }
        return (v0 + sum12 + sum34, difference12 + 2 * difference34, sum12 + 4 * sum34, difference12 + 8 * difference34 + v5)
    }

    /// B^T applied to the six vectors in `d` (for tests: the written-out matrix, column by column).
    public static func inputTransform(_ d: [WinogradLanes]) -> [WinogradLanes] {
        let t = inputRows(d[0], d[1], d[2], d[3], d[4], d[5])
        return [t.0, t.1, t.2, t.3, t.4, t.5]
    }

    /// A^T (m x 6) applied to the six vectors in `v` (for tests).
    public static func outputTransform(outputTile m: Int, _ v: [WinogradLanes]) -> [WinogradLanes] {
        let t = outputRows(m, v[0], v[1], v[2], v[3], v[4], v[5])
        return Array([t.0, t.1, t.2, t.3].prefix(m))
    }

    /// Values s, s + m, ..., s + 7m of `row`: column s of eight consecutive tiles.
    @inline(__always)
    static func gather(_ row: UnsafePointer<Float>, _ s: Int, outputTile m: Int) -> WinogradLanes {
        let raw = UnsafeRawPointer(row + s)
        let low = raw.loadUnaligned(as: SIMD16<Float>.self)
        if m == 2 { return low.evenHalf }
        let high = raw.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
        return WinogradLanes(lowHalf: low.evenHalf.evenHalf, highHalf: high.evenHalf.evenHalf)
    }

    @inline(__always)
    static func store(_ value: WinogradLanes, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: WinogradLanes.self)
    }

    @inline(__always)
    static func load(_ pointer: UnsafePointer<Float>) -> WinogradLanes {
        UnsafeRawPointer(pointer).loadUnaligned(as: WinogradLanes.self)
    }

    /// V[p][c][tile] = (B^T d B)[p] of x: (N, channels, height, width) for the tiles of `rows`.
    /// Each tile row's six input rows are first copied into `band` (6 x bandWidth floats; zero
    /// where they read padding, band column q = input column q - padLeft), so tiles at the edges
    /// are read like the others. A row's last group of eight may run past its last tile, into
    /// the next row's slots (written after it) or 8 floats of slack after each position's matrix.
    public static func input(_ x: UnsafePointer<Float>, channels: Int, rows: Range<Int>, into v: UnsafeMutablePointer<Float>,
                             positionStride stride: Int, band: UnsafeMutablePointer<Float>, tiling t: WinogradTiling) {
        let m = t.outputTile, count = rows.count * t.tileColumns, width = t.bandWidth, plane = t.height * t.width
        band.update(repeating: 0, count: 6 * width)
        withUnsafeTemporaryAllocation(of: WinogradLanes.self, capacity: 36) { dB in
            for c in 0..<channels {
                for globalRow in rows {
                    let image = globalRow / t.tileRows, top = (globalRow % t.tileRows) * m - t.padTop
                    let source = x + (image * channels + c) * plane
                    for r in 0..<6 {
                        let ih = top + r, line = band + r * width + t.padLeft
                        if ih >= 0 && ih < t.height {
                            line.update(from: source + ih * t.width, count: t.width)
                        } else {
                            line.update(repeating: 0, count: t.width)
                        }
                    }
                    let first = v + c * count + (globalRow - rows.lowerBound) * t.tileColumns
                    for group in Swift.stride(from: 0, to: t.tileColumns, by: 8) {
                        // d B: B^T along each input row of the tiles...
                        for r in 0..<6 {
                            let row = UnsafePointer(band + r * width + group * m)
                            let e = inputRows(gather(row, 0, outputTile: m), gather(row, 1, outputTile: m),
                                              gather(row, 2, outputTile: m), gather(row, 3, outputTile: m),
                                              gather(row, 4, outputTile: m), gather(row, 5, outputTile: m))
                            dB[r * 6] = e.0; dB[r * 6 + 1] = e.1; dB[r * 6 + 2] = e.2
                            dB[r * 6 + 3] = e.3; dB[r * 6 + 4] = e.4; dB[r * 6 + 5] = e.5
                        }
                        // ...then B^T (d B): down each column b.
                        let out = first + group
                        for b in 0..<6 {
                            let e = inputRows(dB[b], dB[6 + b], dB[12 + b], dB[18 + b], dB[24 + b], dB[30 + b])
                            store(e.0, out + b * stride); store(e.1, out + (6 + b) * stride)
                            store(e.2, out + (12 + b) * stride); store(e.3, out + (18 + b) * stride)
                            store(e.4, out + (24 + b) * stride); store(e.5, out + (30 + b) * stride)
                        }
                    }
                }
            }
        }
    }

    /// y: (N, channels, outputHeight, outputWidth) = A^T M A (+ bias) for the tiles of `rows`:
    /// each tile row's m output rows are assembled in `band` (outputBandCount floats), then the
    /// part inside the map is copied out.
    public static func output(_ mBuffer: UnsafePointer<Float>, channels: Int, positionStride stride: Int, rows: Range<Int>,
                              bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>,
                              band: UnsafeMutablePointer<Float>, tiling t: WinogradTiling) {
        let m = t.outputTile, count = rows.count * t.tileColumns, width = t.groupedColumns * m
        let outH = t.outputHeight, outW = t.outputWidth
        withUnsafeTemporaryAllocation(of: WinogradLanes.self, capacity: 24) { mA in
            for k in 0..<channels {
                let offset = bias?[k] ?? 0
                for globalRow in rows {
                    let image = globalRow / t.tileRows, top = (globalRow % t.tileRows) * m
                    let first = mBuffer + k * count + (globalRow - rows.lowerBound) * t.tileColumns
                    for group in Swift.stride(from: 0, to: t.tileColumns, by: 8) {
                        // M A: A^T along each row a of M...
                        let source = first + group
                        for a in 0..<6 {
                            let row = source + a * 6 * stride
                            let z = outputRows(m, load(row), load(row + stride), load(row + 2 * stride),
                                               load(row + 3 * stride), load(row + 4 * stride), load(row + 5 * stride))
                            mA[a * 4] = z.0; mA[a * 4 + 1] = z.1; mA[a * 4 + 2] = z.2; mA[a * 4 + 3] = z.3
                        }
                        // ...then A^T (M A) down each column j, spread into the band's rows.
                        for j in 0..<m {
                            let o = outputRows(m, mA[j], mA[4 + j], mA[8 + j], mA[12 + j], mA[16 + j], mA[20 + j])
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
                    let plane = y + (image * channels + k) * outH * outW
                    for i in 0..<min(m, outH - top) {
                        let source = band + i * width, out = plane + (top + i) * outW
                        for q in 0..<outW { out[q] = source[q] + offset }
                    }
                }
            }
        }
    }

    /// U'[p][k][tile] = (G' d G'^T)[p] of each of dy's (N, channels, outputHeight, outputWidth)
    /// m x m pieces d, G' (6 x m, row-major) the weight gradient's kernel transform; each tile
    /// row's m rows of dy are first copied into `band` (m x bandWidth floats), zero past the map.
    public static func gradient(_ dy: UnsafePointer<Float>, channels: Int, rows: Range<Int>, into u: UnsafeMutablePointer<Float>,
                                positionStride stride: Int, band: UnsafeMutablePointer<Float>,
                                kernelTransform gT: UnsafePointer<Float>, tiling t: WinogradTiling) {
        let m = t.outputTile, count = rows.count * t.tileColumns, width = t.bandWidth
        let outH = t.outputHeight, outW = t.outputWidth
        band.update(repeating: 0, count: m * width)
        withUnsafeTemporaryAllocation(of: WinogradLanes.self, capacity: 6 * 4) { rowsG in
            for k in 0..<channels {
                for globalRow in rows {
                    let image = globalRow / t.tileRows, top = (globalRow % t.tileRows) * m
                    let plane = dy + (image * channels + k) * outH * outW
                    for r in 0..<m {
                        let line = band + r * width
                        if top + r < outH {
                            line.update(from: plane + (top + r) * outW, count: outW)
                        } else {
                            line.update(repeating: 0, count: outW)
                        }
                    }
                    let first = u + k * count + (globalRow - rows.lowerBound) * t.tileColumns
                    for group in Swift.stride(from: 0, to: t.tileColumns, by: 8) {
                        // d G'^T: G' along each of the m rows of the pieces (6 values a row)...
                        for r in 0..<m {
                            let row = UnsafePointer(band + r * width + group * m)
                            var d = (WinogradLanes(), WinogradLanes(), WinogradLanes(), WinogradLanes())
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
