import Basics

/// CBAM's channel attention (Woo et al. 2018, eq. 2), output x * Mc with
/// Mc = sigmoid(MLP(avgpool(x)) + MLP(maxpool(x))) broadcast over each channel's plane.
///
/// The MLP is shared by the two pooled vectors: fc1 (C -> C/r), ReLU, fc2 (C/r -> C).
/// Bias: none by default. The CBAM ResNet code in wide use (and the paper's equation, which has
/// only W0 and W1) writes the MLP as 1x1 convolutions with bias=False; the authors' ChannelGate
/// uses nn.Linear with biases: `bias: true` gives that. Names "fc1.weight" (C/r, C) and
/// "fc2.weight" (C, C/r), plus "fc1.bias"/"fc2.bias" with biases. A checkpoint of the 1x1-conv
/// form stores (C/r, C, 1, 1): the same numbers, reshaped.
///
/// Max pooling sends its gradient to the first maximum of each plane, as PyTorch does.
public struct CBAMChannelGate: Layer {
    public let channels: Int
    /// The hidden width C/r.
    public let hiddenChannels: Int
    public private(set) var fc1: Linear
    public private(set) var fc2: Linear

    public struct Cache {
        let input: Tensor
        /// Mc: (N, C), in (0, 1).
        let gate: Tensor
        /// (N*C): the index within its plane of each plane's maximum.
        let argmax: [Int]
        let fc1: Linear.Cache, fc2: Linear.Cache
        /// fc1's output before the ReLU: (2N, C/r).
        let hidden: Tensor
    }

    /// A gate with PyTorch's default initialisation (uniform +-1/sqrt(fan_in), the same for
    /// nn.Linear and a 1x1 nn.Conv2d). The hidden width is max(1, C / reduction).
    public init(channels: Int, reduction: Int = 16, bias: Bool = false, generator: inout SeededGenerator) {
        precondition(channels > 0 && reduction > 0, "CBAM channel gate needs channels and a reduction ratio > 0")
        let hidden = max(1, channels / reduction)
        self.init(fc1: Linear(inFeatures: channels, outFeatures: hidden, bias: bias, generator: &generator),
                  fc2: Linear(inFeatures: hidden, outFeatures: channels, bias: bias, generator: &generator))
    }

    /// A gate with the given MLP: fc1 (C -> C/r), fc2 (C/r -> C).
    public init(fc1: Linear, fc2: Linear) {
        precondition(fc1.outFeatures == fc2.inFeatures && fc2.outFeatures == fc1.inFeatures,
                     "CBAM MLP must be C -> C/r -> C, got \(fc1.inFeatures) -> \(fc1.outFeatures), \(fc2.inFeatures) -> \(fc2.outFeatures)")
        channels = fc1.inFeatures
        hiddenChannels = fc1.outFeatures
        self.fc1 = fc1
        self.fc2 = fc2
    }

    /// The channel weights Mc of a forward pass: (N, C), in (0, 1).
    public func channelWeights(_ cache: Cache) -> Tensor { cache.gate }

    /// x: (N,C,H,W) -> (N,C,H,W)
    public func forward(_ input: Tensor, training: Bool) -> (output: Tensor, cache: Cache) {
        let (n, c, h, w) = input.nchw
        precondition(c == channels, "CBAM channel gate expects \(channels) channels, got input \(input.shape)")
        let plane = h * w, planes = n * c
        precondition(plane > 0, "CBAM channel gate of an empty plane")
        // pooled (2N, C): rows 0..<N the plane averages, rows N..<2N the plane maxima, so the
        // shared MLP runs once on both.
        var argmax = [Int](repeating: 0, count: planes)
        let pooled = input.withUnsafeBufferPointer { x in
            Tensor(shape: [2 * n, c]) { out in
                for p in 0..<planes {
                    let start = p * plane
                    var total: Float = 0, best = x[start], bestIndex = 0
                    for i in 0..<plane {
                        let v = x[start + i]
                        total += v
                        if v > best { best = v; bestIndex = i }
                    }
                    out[p] = total / Float(plane)
                    out[planes + p] = best
                    argmax[p] = bestIndex
                }
            }
        }
        let (hidden, fc1Cache) = fc1.forward(pooled, training: training)
        let activated = hidden.map { max(0, $0) }
        let (mlp, fc2Cache) = fc2.forward(activated, training: training)
        // Mc (N, C) = sigmoid(MLP(avg) + MLP(max))
        let gate = mlp.withUnsafeBufferPointer { z in
            Tensor(shape: [n, c]) { g in
                for p in 0..<planes { g[p] = Sigmoid.sigmoid(z[p] + z[planes + p]) }
            }
        }
        let output = input.withUnsafeBufferPointer { x in
            gate.withUnsafeBufferPointer { g in
                Tensor(shape: input.shape) { y in
                    for p in 0..<planes {
                        let weight = g[p]
                        for i in (p * plane)..<((p + 1) * plane) { y[i] = x[i] * weight }
                    }
                }
            }
        }
        return (output, Cache(input: input, gate: gate, argmax: argmax, fc1: fc1Cache, fc2: fc2Cache, hidden: hidden))
    }

    /// dy: (N,C,H,W) -> dx: (N,C,H,W); fc1 and fc2 gradients accumulate.
    public mutating func backward(_ gradOutput: Tensor, cache: Cache) -> Tensor {
        let (n, c, h, w) = cache.input.nchw
        precondition(gradOutput.shape == cache.input.shape, "CBAM channel gate gradient \(gradOutput.shape) for input \(cache.input.shape)")
        let plane = h * w, planes = n * c
        var gradInput = Tensor.zeros(like: cache.input)
        // dx = dy * Mc; dL/dMc = sum over the plane of dy * x; through the sigmoid to the logit,
        // which is the sum of the two MLP outputs, so both rows of the stacked batch get it.
        var gradLogits = Tensor.zeros([2 * n, c])
        cache.input.withUnsafeBufferPointer { x in
            gradOutput.withUnsafeBufferPointer { dy in
                cache.gate.withUnsafeBufferPointer { g in
                    gradInput.withUnsafeMutableBufferPointer { dx in
                        gradLogits.withUnsafeMutableBufferPointer { dz in
                            for p in 0..<planes {
                                let weight = g[p]
                                var gradWeight: Float = 0
                                for i in (p * plane)..<((p + 1) * plane) {
                                    gradWeight += dy[i] * x[i]
                                    dx[i] = dy[i] * weight
                                }
                                let gradLogit = gradWeight * weight * (1 - weight)
                                dz[p] = gradLogit
                                dz[planes + p] = gradLogit
                            }
                        }
                    }
                }
            }
        }
        let gradActivated = fc2.backward(gradLogits, cache: cache.fc2)
        let gradHidden = gradActivated.zipMap(cache.hidden) { d, pre in pre > 0 ? d : 0 }
        let gradPooled = fc1.backward(gradHidden, cache: cache.fc1)
        // Average pooling spreads its gradient over the plane; max pooling sends it to the argmax.
        gradInput.withUnsafeMutableBufferPointer { dx in
            gradPooled.withUnsafeBufferPointer { dp in
                for p in 0..<planes {
                    let share = dp[p] / Float(plane), start = p * plane
                    for i in start..<(start + plane) { dx[i] += share }
                    dx[start + cache.argmax[p]] += dp[planes + p]
                }
            }
        }
        return gradInput
    }

    public mutating func visitParameters(_ visit: (_ name: String, _ value: inout Tensor, _ gradient: inout Tensor) -> Void) {
        Networks.visitParameters(of: &fc1, prefix: "fc1", visit)
        Networks.visitParameters(of: &fc2, prefix: "fc2", visit)
    }
}
