import Basics
import Foundation

/// The row softmax the self-attention modules (PAM, CAM) share, and its backward.
///
/// The softmax runs on every row of a (P, P) or (C, C) matrix per image: at batch 128 a PAM on
/// 16x16 maps exponentiates 8.4 M values per forward, and libm's scalar expf made the softmax a
/// third of the module's time. So rows are processed 8 lanes at a time with a vector exp.
enum AttentionKernels {
    typealias Lanes = SIMD8<Float>

    /// Each row of the row-major (rows, columns) matrix `z` through softmax, in place:
    /// p_j = e^(z_j - max z) / sum_k e^(z_k - max z).
    static func softmaxRows(_ z: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        guard columns > 0 else { return }
        let vectorEnd = columns - columns % Lanes.scalarCount
        for r in 0..<rows {
            let row = z + r * columns
            var largest = row[0]
            if vectorEnd > 0 {
                var lanes = load(row)
                for j in stride(from: Lanes.scalarCount, to: vectorEnd, by: Lanes.scalarCount) {
                    let next = load(row + j)
                    lanes.replace(with: next, where: next .> lanes)  // (pointwiseMax is not inlined)
                }
                largest = lanes.max()
            }
            for j in vectorEnd..<columns { largest = max(largest, row[j]) }
            var sums = Lanes(repeating: 0)
            for j in stride(from: 0, to: vectorEnd, by: Lanes.scalarCount) {
                let e = exp(load(row + j) - largest)
                store(e, row + j)
                sums += e
            }
            var total = sums.sum()
            for j in vectorEnd..<columns {
                let e = exp(Lanes(repeating: row[j] - largest))[0]
                row[j] = e
                total += e
            }
            let scale = 1 / total
            for j in 0..<columns { row[j] *= scale }
        }
    }

    /// The softmax backward, row by row, in place of the gradient: given p = softmax(z) and
    /// dL/dp, dL/dz_j = p_j (dL/dp_j - sum_k p_k dL/dp_k). (rows, columns) both.
    static func softmaxRowsBackward(probabilities p: UnsafePointer<Float>, gradient d: UnsafeMutablePointer<Float>,
                                    rows: Int, columns: Int) {
        let vectorEnd = columns - columns % Lanes.scalarCount
        for r in 0..<rows {
            let pr = p + r * columns, dr = d + r * columns
            var products = Lanes(repeating: 0)
            for j in stride(from: 0, to: vectorEnd, by: Lanes.scalarCount) {
                products += load(pr + j) * load(dr + j)
            }
            var inner = products.sum()
            for j in vectorEnd..<columns { inner += pr[j] * dr[j] }
            for j in 0..<columns { dr[j] = pr[j] * (dr[j] - inner) }
        }
    }

    /// e^x on 8 lanes, for x <= 88 (softmax feeds it x <= 0). Cephes' expf: x = n ln2 + r with
    /// n = round(x / ln2), |r| <= ln2/2 (ln2 split in two for an exact product), e^r by a
    /// polynomial, then 2^n built in the exponent bits. Relative error about 2e-7 (a float's
    /// rounding is 6e-8). Inputs below -87 give e^-87 ~ 1.6e-38 instead of underflowing further,
    /// which a softmax sum (at least 1) cannot notice.
    /// n is rounded by adding 1.5 * 2^23, after which it sits in the low mantissa bits: only
    /// lane-wise float and integer arithmetic, no conversions (Swift's generic SIMD
    /// float-to-int conversion runs lane by lane and cost more than libm's expf).
    @inline(__always)
    static func exp(_ x: Lanes) -> Lanes {
        let magic: Float = 12_582_912  // 1.5 * 2^23
        var x = x
        x.replace(with: -87, where: x .< -87)
        x.replace(with: 88, where: x .> 88)
        let shifted = x * 1.44269504088896341 + magic
        let n = shifted - magic
        let r = x - n * 0.693359375 + n * 2.12194440e-4
        var p = Lanes(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        p = p * (r * r) + r + 1
        // The bits of `shifted` are those of 1.5 * 2^23 plus n; 2^n has exponent field n + 127.
        let exponent = (unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
        return p * unsafeBitCast(exponent, to: Lanes.self)
    }

    @inline(__always)
    private static func load(_ pointer: UnsafePointer<Float>) -> Lanes {
        UnsafeRawPointer(pointer).loadUnaligned(as: Lanes.self)
    }

    @inline(__always)
    private static func load(_ pointer: UnsafeMutablePointer<Float>) -> Lanes { load(UnsafePointer(pointer)) }

    @inline(__always)
    private static func store(_ value: Lanes, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: Lanes.self)
    }

    /// Workers for a per-image loop of about `flopsPerImage` each: one per core once there is
    /// enough work to pay for a thread, never more than the images.
    static func workers(images: Int, flopsPerImage: Int) -> Int {
        min(max(1, images), Parallel.workerCount(for: images * flopsPerImage, minimumPerWorker: 1 << 18))
    }
}
