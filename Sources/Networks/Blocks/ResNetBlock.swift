import Basics

/// torchvision's ResNet blocks with torchvision's parameter names, so a `resnetNN` state dict
/// loads by prefix alone:
/// - basic (ResNet-18/34): conv1 3x3/stride, bn1, ReLU, conv2 3x3, bn2;
/// - bottleneck (ResNet-50/101/152, "v1.5": the stride sits on the 3x3): conv1 1x1, bn1, ReLU,
///   conv2 3x3/stride, bn2, ReLU, conv3 1x1 (4x width), bn3;
///
/// plus the shortcut: identity, or downsample.0 (conv 1x1/stride) + downsample.1 (BN) when the
/// stride or the width changes; then y = ReLU(body(x) + shortcut(x)).
public struct ResNetBlock: Layer {
    public enum Kind: Sendable, Equatable {
        case basic, bottleneck

        /// Output channels per `planes` (torchvision's `expansion`).
        public var expansion: Int { self == .basic ? 1 : 4 }
    }

    public var body: Sequential
    public var downsample: Sequential?

    public struct Cache {
        let body: [Any]
        let downsample: [Any]?
        /// body(x) + shortcut(x), before the ReLU.
        let sum: Tensor
    }

    /// A block reading `inChannels` and writing `planes * kind.expansion`, random weights from
    /// `generator` (conv: Kaiming-uniform as Conv2d's; BN: weight 1, bias 0).
    public init(_ kind: Kind, inChannels: Int, planes: Int, stride: Int, generator: inout SeededGenerator) {
        func conv(_ input: Int, _ output: Int, kernel: Int, stride: Int = 1) -> Conv2d {
            Conv2d(inChannels: input, outChannels: output, kernelSize: kernel, stride: stride, padding: Padding(kernel / 2),
                   bias: false, generator: &generator)
        }
        let out = planes * kind.expansion
        switch kind {
        case .basic:
            body = Sequential(named: [
                ("conv1", conv(inChannels, planes, kernel: 3, stride: stride)), ("bn1", BatchNorm2d(numFeatures: planes)),
                ("relu1", ReLU()),
                ("conv2", conv(planes, planes, kernel: 3)), ("bn2", BatchNorm2d(numFeatures: planes)),
            ])
        case .bottleneck:
            body = Sequential(named: [
                ("conv1", conv(inChannels, planes, kernel: 1)), ("bn1", BatchNorm2d(numFeatures: planes)), ("relu1", ReLU()),
                ("conv2", conv(planes, planes, kernel: 3, stride: stride)), ("bn2", BatchNorm2d(numFeatures: planes)),
                ("relu2", ReLU()),
                ("conv3", conv(planes, out, kernel: 1)), ("bn3", BatchNorm2d(numFeatures: out)),
            ])
        }
        downsample = stride == 1 && inChannels == out ? nil : Sequential([
            conv(inChannels, out, kernel: 1, stride: stride), BatchNorm2d(numFeatures: out),
        ])
    }

    // x: (N, C_in, H, W) -> (N, C_out, H / stride, W / stride)
    public mutating func forward(_ input: Tensor, training: Bool) -> (output: Tensor, cache: Cache) {
        let (branch, bodyCache) = body.forward(input, training: training)
        var sum = branch
        var downsampleCache: [Any]?
        if var shortcut = downsample {
            let (projected, cache) = shortcut.forward(input, training: training)
            downsample = shortcut
            downsampleCache = cache
            sum += projected
        } else {
            precondition(branch.shape == input.shape, "identity shortcut of \(input.shape) meets \(branch.shape)")
            sum += input
        }
        return (sum.map { max(0, $0) }, Cache(body: bodyCache, downsample: downsampleCache, sum: sum))
    }

    public mutating func backward(_ gradOutput: Tensor, cache: Cache) -> Tensor {
        let gradSum = gradOutput.zipMap(cache.sum) { dy, z in z > 0 ? dy : 0 }
        var gradInput = body.backward(gradSum, cache: cache.body)
        if var shortcut = downsample, let shortcutCache = cache.downsample {
            gradInput += shortcut.backward(gradSum, cache: shortcutCache)
            downsample = shortcut
        } else {
            gradInput += gradSum
        }
        return gradInput
    }

    public mutating func visitParameters(_ visit: (_ name: String, _ value: inout Tensor, _ gradient: inout Tensor) -> Void) {
        body.visitParameters(visit)
        if var shortcut = downsample {
            Networks.visitParameters(of: &shortcut, prefix: "downsample", visit)
            downsample = shortcut
        }
    }

    public mutating func visitBuffers(_ visit: (_ name: String, _ value: inout Tensor) -> Void) {
        body.visitBuffers(visit)
        if var shortcut = downsample {
            Networks.visitBuffers(of: &shortcut, prefix: "downsample", visit)
            downsample = shortcut
        }
    }
}
