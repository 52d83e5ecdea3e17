import Foundation

/// Real-valued codes of one batch held in Double while a hashing loss is evaluated, with the
/// gradient accumulated beside them.
///
/// Why Double: the pairwise and triplet losses sum O(N^2) and O(N^3) terms whose gradients
/// partly cancel; Float accumulation would cost digits the golden tests (1e-5 relative) and the
/// finite-difference checks need, and N^2 * bits is tiny next to the network that produced the
/// codes. Several loss terms accumulate into one gradient, which is rounded to Float once.
struct HashCodeBatch {
    /// codes: (N, bits), row-major.
    let values: [Double]
    let count: Int
    let bits: Int
    /// dL/d(codes): (N, bits), summed over every term that was accumulated.
    var gradient: [Double]

    /// codes: (N, bits) with N >= 1.
    init(_ codes: Tensor, _ loss: String) {
        precondition(codes.rank == 2, "\(loss) needs (N, bits) codes, got \(codes.shape)")
        precondition(codes.shape[0] > 0 && codes.shape[1] > 0, "\(loss) needs a non-empty batch, got \(codes.shape)")
        values = codes.scalars.map(Double.init)
        count = codes.shape[0]
        bits = codes.shape[1]
        gradient = [Double](repeating: 0, count: values.count)
    }

    /// The accumulated gradient as an (N, bits) Float tensor.
    var gradientTensor: Tensor { Tensor(shape: [count, bits], scalars: gradient.map(Float.init)) }
}

/// log(1 + e^x) without overflow for large x or loss of digits for very negative x.
@inline(__always)
func softplus(_ x: Double) -> Double { max(x, 0) + log1p(exp(-abs(x))) }

/// 1 / (1 + e^-x), never exponentiating a positive number.
@inline(__always)
func logistic(_ x: Double) -> Double {
    if x >= 0 { return 1 / (1 + exp(-x)) }
    let e = exp(x)
    return e / (1 + e)
}
