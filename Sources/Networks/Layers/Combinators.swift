// Residual addition and channel concatenation, as functions with their backward and as small
// layer combinators built on them.

extension Tensor {
    /// Concatenation along dimension 1 (channels): parts (N, C_i, ...) -> (N, sum C_i, ...).
    /// Every part must agree in N and in the dimensions after the channels.
    public static func concatenatingChannels(_ parts: [Tensor]) -> Tensor {
        precondition(!parts.isEmpty, "nothing to concatenate")
        let first = parts[0]
        precondition(first.rank >= 2, "channel concatenation needs (N, C, ...), got \(first.shape)")
        let n = first.shape[0], rest = Array(first.shape.dropFirst(2)), inner = rest.reduce(1, *)
        for part in parts {
            precondition(part.rank == first.rank && part.shape[0] == n && Array(part.shape.dropFirst(2)) == rest,
                         "cannot concatenate \(part.shape) with \(first.shape) along channels")
        }
        let channels = parts.reduce(0) { $0 + $1.shape[1] }
        var output = Tensor.zeros([n, channels] + rest)
        output.withUnsafeMutableBufferPointer { out in
            var offset = 0  // channel offset of the current part
            for part in parts {
                let block = part.shape[1] * inner
                part.withUnsafeBufferPointer { src in
                    for image in 0..<n {
                        let dst = (image * channels + offset) * inner
                        for i in 0..<block { out[dst + i] = src[image * block + i] }
                    }
                }
                offset += part.shape[1]
            }
        }
        return output
    }

    /// The backward of `concatenatingChannels`: (N, sum C_i, ...) -> parts (N, C_i, ...).
    public func splittingChannels(_ sizes: [Int]) -> [Tensor] {
        precondition(rank >= 2 && sizes.reduce(0, +) == shape[1], "cannot split \(shape) into channel groups \(sizes)")
        let n = shape[0], channels = shape[1], rest = Array(shape.dropFirst(2)), inner = rest.reduce(1, *)
        var offset = 0
        return withUnsafeBufferPointer { src in
            sizes.map { size in
                defer { offset += size }
                let block = size * inner
                return Tensor(shape: [n, size] + rest) { out in
                    for image in 0..<n {
                        let start = (image * channels + offset) * inner
                        for i in 0..<block { out[image * block + i] = src[start + i] }
                    }
                }
            }
        }
    }
}

/// y = body(x) + x (an identity shortcut): backward sends dy both through the body and
/// straight to the input, and sums. The body's parameter names pass through unchanged.
public struct Residual<Body: Layer>: Layer {
    public var body: Body

    public init(_ body: Body) { self.body = body }

    /// x: S -> S (the body must keep the shape).
    public mutating func forward(_ input: Tensor, training: Bool) -> (output: Tensor, cache: Body.Cache) {
        let (output, cache) = body.forward(input, training: training)
        precondition(output.shape == input.shape, "residual body changed the shape \(input.shape) -> \(output.shape)")
        return (output + input, cache)
    }

    public mutating func backward(_ gradOutput: Tensor, cache: Body.Cache) -> Tensor {
        var gradInput = body.backward(gradOutput, cache: cache)
        gradInput += gradOutput
        return gradInput
    }

    public mutating func visitParameters(_ visit: (_ name: String, _ value: inout Tensor, _ gradient: inout Tensor) -> Void) {
        body.visitParameters(visit)
    }

    public mutating func visitBuffers(_ visit: (_ name: String, _ value: inout Tensor) -> Void) {
        body.visitBuffers(visit)
    }
}

/// Two branches over one input, merged: their outputs concatenated along the channels
/// (Inception-style), or summed (DATH's two attention streams; a residual block with a
/// projection shortcut). Backward sends each branch its part of the gradient (all of it, for
/// a sum) and adds the two input gradients.
public struct Branches<First: Layer, Second: Layer>: Layer {
    public enum Merge: Sendable, Equatable {
        case concatenateChannels, sum
    }

    public var first: First, second: Second
    public let merge: Merge
    public let firstName: String, secondName: String

    public struct Cache {
        let first: First.Cache, second: Second.Cache
        let channels: [Int]
    }

    public init(_ first: First, _ second: Second, merge: Merge, names: (String, String) = ("0", "1")) {
        self.first = first
        self.second = second
        self.merge = merge
        (firstName, secondName) = names
    }

    /// x -> (N, C1 + C2, ...) when concatenating; x -> first(x) + second(x), one shape, when summing
    public mutating func forward(_ input: Tensor, training: Bool) -> (output: Tensor, cache: Cache) {
        let (a, cacheA) = first.forward(input, training: training)
        let (b, cacheB) = second.forward(input, training: training)
        let cache = Cache(first: cacheA, second: cacheB, channels: [a.shape[1], b.shape[1]])
        switch merge {
        case .concatenateChannels:
            return (.concatenatingChannels([a, b]), cache)
        case .sum:
            precondition(a.shape == b.shape, "summed branches disagree: \(a.shape) and \(b.shape)")
            return (a + b, cache)
        }
    }

    public mutating func backward(_ gradOutput: Tensor, cache: Cache) -> Tensor {
        let parts = merge == .sum ? [gradOutput, gradOutput] : gradOutput.splittingChannels(cache.channels)
        var gradInput = first.backward(parts[0], cache: cache.first)
        gradInput += second.backward(parts[1], cache: cache.second)
        return gradInput
    }

    public mutating func visitParameters(_ visit: (_ name: String, _ value: inout Tensor, _ gradient: inout Tensor) -> Void) {
        Networks.visitParameters(of: &first, prefix: firstName, visit)
        Networks.visitParameters(of: &second, prefix: secondName, visit)
    }

    public mutating func visitBuffers(_ visit: (_ name: String, _ value: inout Tensor) -> Void) {
        Networks.visitBuffers(of: &first, prefix: firstName, visit)
        Networks.visitBuffers(of: &second, prefix: secondName, visit)
    }
}
