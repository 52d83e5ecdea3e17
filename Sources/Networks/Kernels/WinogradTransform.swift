import Foundation

// The matrices of Winograd's minimal filtering algorithm F(m x m, r x r) (Lavin and Gray, "Fast
// Algorithms for Convolutional Neural Networks", 2016), built by Toom-Cook from interpolation
// points instead of typed in.
//
// In 1D, m outputs of an r-tap correlation of an a = m + r - 1 wide input d are
//   y = A^T [(G g) . (B^T d)]
// with V the (a x a) matrix evaluating a polynomial of degree a - 1 at the points (rows
// [1, p, ..., p^(a-1)], and [0, ..., 0, 1] for the point at infinity): G evaluates the filter
// (rows [1, p, ..., p^(r-1)]), A^T is the transpose of the evaluation of the m outputs' polynomial,
// and B^T = V^-T. In 2D, Y = A^T [(G g G^T) . (B^T d B)] A. Each row i of B^T is scaled to small
// integers (its entries divided by the smallest non-zero magnitude) and row i of G by the
// inverse, so the transform of the data, applied to every tile, is exact in Float.
//
// With the points 0, 1, -1, 2, -2 and infinity (tile a = 6), F(4x4, 3x3) needs 36 products for
// 16 outputs instead of 144, and F(2x2, 5x5) 36 for 4 instead of 100 (these are Lavin's
// matrices); the weight gradients' F(3x3, 4x4) and F(5x5, 2x2) use the same points, so all
// four share one B^T.

struct WinogradTransform: Sendable {
    /// The input tile's side (a = m + r - 1).
    static let tile = 6
    /// Outputs per tile side (m) and the kernel's side (r).
    let outputTile: Int, kernel: Int
    /// B^T (a x a), G (a x r) and A^T (m x a), row-major.
    let inputTransform: [Float], kernelTransform: [Float], outputTransform: [Float]

    /// F(4x4, 3x3) and F(2x2, 5x5): the kernels of 3x3 and 5x5 convolutions.
    static let f4x3 = WinogradTransform(outputTile: 4, kernel: 3)
    static let f2x5 = WinogradTransform(outputTile: 2, kernel: 5)

    /// F(3x3, 4x4) and F(5x5, 2x2): the weight gradients' (see WinogradWeightGradient).
    static let f3x4 = WinogradTransform(outputTile: 3, kernel: 4)
    static let f5x2 = WinogradTransform(outputTile: 5, kernel: 2)

    /// The transform of this one's weight gradient: F(r x r, m x m), kernel and output swapped.
    var weightGradient: WinogradTransform { kernel == 3 ? .f3x4 : .f5x2 }

    /// The transform for a square kernel of side `kernel`, if there is one.
    static func forKernel(_ kernel: Int) -> WinogradTransform? {
        switch kernel {
        case 3: return .f4x3
        case 5: return .f2x5
        default: return nil
        }
    }

    init(outputTile m: Int, kernel r: Int) {
        let a = m + r - 1
        precondition(a == Self.tile, "F(\(m), \(r)) needs a \(a)-wide tile; the points here make \(Self.tile)")
        // nil is the point at infinity.
        let points: [Double?] = [0, 1, -1, 2, -2, nil]
        func evaluation(_ point: Double?, _ count: Int) -> [Double] {
            guard let point else { return (0..<count).map { $0 == count - 1 ? 1 : 0 } }
            return (0..<count).map { pow(point, Double($0)) }
        }
        let vInverse = Self.inverse(points.flatMap { evaluation($0, a) }, size: a)
        var bT = [Double](repeating: 0, count: a * a), g = points.flatMap { evaluation($0, r) }
        for i in 0..<a {
            for j in 0..<a { bT[i * a + j] = vInverse[j * a + i] }
            let scale = (0..<a).map { abs(bT[i * a + $0]) }.filter { $0 > 1e-12 }.min() ?? 1
            for j in 0..<a {
                let scaled = bT[i * a + j] / scale
                precondition(abs(scaled - scaled.rounded()) < 1e-9, "B^T row \(i) does not scale to integers")
                bT[i * a + j] = scaled.rounded()
            }
            for k in 0..<r { g[i * r + k] *= scale }
        }
        var aT = [Double](repeating: 0, count: m * a)
        for (j, point) in points.enumerated() {
            for (i, value) in evaluation(point, m).enumerated() { aT[i * a + j] = value }
        }
        outputTile = m
        kernel = r
        inputTransform = bT.map(Float.init)
        kernelTransform = g.map(Float.init)
        outputTransform = aT.map(Float.init)
    }

    /// L X L^T for L (p x q, row-major) and a q x q matrix X read through `x(row, column)`,
    /// handing each of the p x p results to `result(row, column, value)`; `half` (p x q) holds
    /// L X. The kernels' G g G^T and the weight gradients' A'^T M A' are both this.
    @inline(__always)
    static func sandwich(_ l: UnsafePointer<Float>, rows p: Int, columns q: Int, half: UnsafeMutablePointer<Float>,
                         _ x: (Int, Int) -> Float, _ result: (Int, Int, Float) -> Void) {
        for i in 0..<p {
            for j in 0..<q {
                var total: Float = 0
                for t in 0..<q { total += l[i * q + t] * x(t, j) }
                half[i * q + j] = total
            }
        }
        for i in 0..<p {
            for j in 0..<p {
                var total: Float = 0
                for t in 0..<q { total += half[i * q + t] * l[j * q + t] }
                result(i, j, total)
            }
        }
    }

    /// The inverse of a (size x size) row-major matrix, by Gauss-Jordan with partial pivoting.
    private static func inverse(_ matrix: [Double], size n: Int) -> [Double] {
        var left = matrix, right = (0..<(n * n)).map { $0 / n == $0 % n ? 1.0 : 0.0 }
        for column in 0..<n {
            let pivot = (column..<n).max { abs(left[$0 * n + column]) < abs(left[$1 * n + column]) }!
            precondition(abs(left[pivot * n + column]) > 1e-12, "interpolation points repeat")
            for j in 0..<n {
                left.swapAt(column * n + j, pivot * n + j)
                right.swapAt(column * n + j, pivot * n + j)
            }
            let divisor = left[column * n + column]
            for j in 0..<n { left[column * n + j] /= divisor; right[column * n + j] /= divisor }
            for row in 0..<n where row != column {
                let factor = left[row * n + column]
                guard factor != 0 else { continue }
                for j in 0..<n {
                    left[row * n + j] -= factor * left[column * n + j]
                    right[row * n + j] -= factor * right[column * n + j]
                }
            }
        }
        return right
    }
}
