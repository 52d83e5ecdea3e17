/// Global average pooling (PyTorch's AdaptiveAvgPool2d(1) then flatten): the mean of each
/// channel's plane.
public struct GlobalAvgPool2d: Layer {
    public init() {}

    /// x: (N,C,H,W) -> (N,C); the cache is the input shape.
    public func forward(_ input: Tensor, training: Bool) -> (output: Tensor, cache: [Int]) {
        let (n, c, h, w) = input.nchw
        let plane = h * w
        let output = input.withUnsafeBufferPointer { x in
            Tensor(shape: [n, c]) { out in
                for p in 0..<(n * c) {
                    var total: Float = 0
                    for i in 0..<plane { total += x[p * plane + i] }
                    out[p] = total / Float(plane)
                }
            }
        }
        return (output, input.shape)
    }

    /// dy: (N,C) -> dx: (N,C,H,W), dy / (H*W) on every pixel.
    public func backward(_ gradOutput: Tensor, cache inputShape: [Int]) -> Tensor {
        let plane = inputShape[2] * inputShape[3]
        precondition(gradOutput.shape == [inputShape[0], inputShape[1]], "GlobalAvgPool2d gradient \(gradOutput.shape) for input \(inputShape)")
        return gradOutput.withUnsafeBufferPointer { dy in
            Tensor(shape: inputShape) { dx in
                for p in 0..<dy.count {
                    let share = dy[p] / Float(plane)
                    for i in 0..<plane { dx[p * plane + i] = share }
                }
            }
        }
    }
}

/// Global max pooling (AdaptiveMaxPool2d(1) then flatten): the maximum of each channel's plane
/// (the first one on ties).
public struct GlobalMaxPool2d: Layer {
    public init() {}

    public struct Cache {
        let inputShape: [Int]
        /// (N,C): the flat index within its plane of each maximum.
        let argmax: [Int]
    }

    /// x: (N,C,H,W) -> (N,C)
    public func forward(_ input: Tensor, training: Bool) -> (output: Tensor, cache: Cache) {
        let (n, c, h, w) = input.nchw
        let plane = h * w
        precondition(plane > 0, "GlobalMaxPool2d of an empty plane")
        var argmax = [Int](repeating: 0, count: n * c)
        let output = input.withUnsafeBufferPointer { x in
            Tensor(shape: [n, c]) { out in
                for p in 0..<(n * c) {
                    var best = x[p * plane], bestIndex = 0
                    for i in 1..<max(1, plane) where x[p * plane + i] > best {
                        best = x[p * plane + i]
                        bestIndex = i
                    }
                    out[p] = best
                    argmax[p] = bestIndex
                }
            }
        }
        return (output, Cache(inputShape: input.shape, argmax: argmax))
    }

    /// dy: (N,C) -> dx: (N,C,H,W), dy at each maximum, 0 elsewhere.
    public func backward(_ gradOutput: Tensor, cache: Cache) -> Tensor {
        let shape = cache.inputShape, plane = shape[2] * shape[3]
        precondition(gradOutput.shape == [shape[0], shape[1]], "GlobalMaxPool2d gradient \(gradOutput.shape) for input \(shape)")
        var gradInput = Tensor.zeros(shape)
        for p in 0..<gradOutput.count { gradInput[flat: p * plane + cache.argmax[p]] = gradOutput[flat: p] }
        return gradInput
    }
}
