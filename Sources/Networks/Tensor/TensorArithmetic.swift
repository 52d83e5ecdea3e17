// Elementwise arithmetic on tensors of equal shape (no broadcasting: a shape mismatch inside
// the library is a programmer error), and the reductions layers and tests need.

extension Tensor {
    /// `self` and `other` element by element through `combine`: (S) x (S) -> (S).
    @inlinable
    public func zipMap(_ other: Tensor, _ combine: (Float, Float) -> Float) -> Tensor {
        precondition(shape == other.shape, "shape mismatch: \(shape) vs \(other.shape)")
        return withUnsafeBufferPointer { a in
            other.withUnsafeBufferPointer { b in
                Tensor(shape: shape) { out in
                    for i in 0..<out.count { out[i] = combine(a[i], b[i]) }
                }
            }
        }
    }

    /// Every element through `transform`: (S) -> (S).
    @inlinable
    public func map(_ transform: (Float) -> Float) -> Tensor {
        withUnsafeBufferPointer { a in
            Tensor(shape: shape) { out in
                for i in 0..<out.count { out[i] = transform(a[i]) }
            }
        }
    }

    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.zipMap(rhs, +) }
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.zipMap(rhs, -) }
    /// The elementwise (Hadamard) product.
    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.zipMap(rhs, *) }
    public static func * (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 * rhs } }
    public static func * (lhs: Float, rhs: Tensor) -> Tensor { rhs.map { lhs * $0 } }

    public static func += (lhs: inout Tensor, rhs: Tensor) { lhs.addScaled(rhs, by: 1) }
    public static func -= (lhs: inout Tensor, rhs: Tensor) { lhs.addScaled(rhs, by: -1) }
    public static func *= (lhs: inout Tensor, rhs: Float) {
        lhs.withUnsafeMutableBufferPointer { a in
            for i in 0..<a.count { a[i] *= rhs }
        }
    }

    /// self += alpha * other (BLAS axpy): the gradient accumulation and SGD update.
    public mutating func addScaled(_ other: Tensor, by alpha: Float) {
        precondition(shape == other.shape, "shape mismatch: \(shape) vs \(other.shape)")
        withUnsafeMutableBufferPointer { a in
            other.withUnsafeBufferPointer { b in
                for i in 0..<a.count { a[i] += alpha * b[i] }
            }
        }
    }

    /// Sets every element to zero, keeping the shape (and the storage when it is unshared).
    public mutating func zero() {
        withUnsafeMutableBufferPointer { a in a.update(repeating: 0) }
    }

    /// The sum of all elements, accumulated in Double.
    public func sum() -> Double {
        withUnsafeBufferPointer { a in a.reduce(0.0) { $0 + Double($1) } }
    }

    /// The mean of all elements (0 for an empty tensor).
    public func mean() -> Double { count == 0 ? 0 : sum() / Double(count) }

    /// The largest absolute value (0 for an empty tensor).
    public func maxAbs() -> Float {
        withUnsafeBufferPointer { a in a.reduce(0) { Swift.max($0, abs($1)) } }
    }

    /// The sum of the elementwise product, accumulated in Double.
    public func dot(_ other: Tensor) -> Double {
        precondition(shape == other.shape, "shape mismatch: \(shape) vs \(other.shape)")
        return withUnsafeBufferPointer { a in
            other.withUnsafeBufferPointer { b in
                var total = 0.0
                for i in 0..<a.count { total += Double(a[i]) * Double(b[i]) }
                return total
            }
        }
    }
}
