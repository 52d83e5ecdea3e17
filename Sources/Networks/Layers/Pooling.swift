/// The window settings shared by MaxPool2d and AvgPool2d.
public struct PoolingWindow: Sendable, Equatable {
    public let kernelHeight: Int, kernelWidth: Int
    public let strideHeight: Int, strideWidth: Int
    public let padding: Padding

    /// PyTorch's defaults: stride = kernel size, no padding.
    public init(kernelSize: Int, stride: Int? = nil, padding: Padding = .zero) {
        self.init(kernelHeight: kernelSize, kernelWidth: kernelSize,
                  strideHeight: stride ?? kernelSize, strideWidth: stride ?? kernelSize, padding: padding)
    }

    public init(kernelHeight: Int, kernelWidth: Int, strideHeight: Int, strideWidth: Int, padding: Padding = .zero) {
        precondition(kernelHeight > 0 && kernelWidth > 0 && strideHeight > 0 && strideWidth > 0,
                     "pooling kernel and stride must be positive")
        // PyTorch's rule: padding at most half the kernel, so no window lies wholly in padding.
        precondition(max(padding.top, padding.bottom) <= kernelHeight / 2 && max(padding.left, padding.right) <= kernelWidth / 2,
                     "pooling padding \(padding) must be at most half the kernel \(kernelHeight)x\(kernelWidth)")
        self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth
        self.strideHeight = strideHeight; self.strideWidth = strideWidth
        self.padding = padding
    }

    /// The kernels' shape for input x: (N,C,H,W), one plane per (image, channel).
    func shape(of x: Tensor) -> PoolingKernels.Shape {
        let (n, c, h, w) = x.nchw
        let g = WindowGeometry(channels: 1, height: h, width: w, kernelHeight: kernelHeight, kernelWidth: kernelWidth,
                               strideHeight: strideHeight, strideWidth: strideWidth, padding: padding)
        return .init(planes: n * c, geometry: g)
    }

    func outputShape(of x: Tensor) -> [Int] {
        let g = shape(of: x).geometry
        return [x.shape[0], x.shape[1], g.outputHeight, g.outputWidth]
    }
}

/// Max pooling (PyTorch's nn.MaxPool2d, without dilation or ceil_mode); padding never wins.
public struct MaxPool2d: Layer {
    public let window: PoolingWindow

    public struct Cache {
        let inputShape: [Int]
        /// (N,C,H',W'): the flat index within its input plane of each output's maximum.
        let argmax: [Int32]
    }

    public init(kernelSize: Int, stride: Int? = nil, padding: Padding = .zero) {
        window = PoolingWindow(kernelSize: kernelSize, stride: stride, padding: padding)
    }

    public init(window: PoolingWindow) { self.window = window }

    /// x: (N,C,H,W) -> (N,C,H',W')
    public func forward(_ input: Tensor, training: Bool) -> (output: Tensor, cache: Cache) {
        let s = window.shape(of: input)
        let outputShape = window.outputShape(of: input)
        var argmax = [Int32](repeating: 0, count: Tensor.elementCount(outputShape))
        // maxForward writes every output, so it is not zeroed first.
        let output = Tensor(shape: outputShape) { y in
            Tensor.withShared([input]) { x in
                argmax.withUnsafeMutableBufferPointer { indices in
                    guard let indices = indices.baseAddress else { return }
                    PoolingKernels.maxForward(x: x[0], y: SharedMutablePointer(y), argmax: indices, shape: s)
                }
            }
        }
        return (output, Cache(inputShape: input.shape, argmax: argmax))
    }

    /// dy: (N,C,H',W') -> dx: (N,C,H,W)
    public func backward(_ gradOutput: Tensor, cache: Cache) -> Tensor {
        precondition(gradOutput.count == cache.argmax.count, "MaxPool2d gradient \(gradOutput.shape) does not match its output")
        var gradInput = Tensor.zeros(cache.inputShape)
        let s = window.shape(of: gradInput)
        Tensor.withShared([gradOutput]) { dy in
            gradInput.withSharedMutable { dx in
                cache.argmax.withUnsafeBufferPointer { indices in
                    guard let indices = indices.baseAddress else { return }
                    PoolingKernels.maxBackward(dy: dy[0], argmax: indices, dx: dx, shape: s)
                }
            }
        }
        return gradInput
    }
}

/// Average pooling (PyTorch's nn.AvgPool2d, without ceil_mode or divisor_override).
public struct AvgPool2d: Layer {
    public let window: PoolingWindow
    /// Whether padding counts in the divisor (PyTorch's count_include_pad, default true).
    public let countIncludePadding: Bool

    public init(kernelSize: Int, stride: Int? = nil, padding: Padding = .zero, countIncludePadding: Bool = true) {
        window = PoolingWindow(kernelSize: kernelSize, stride: stride, padding: padding)
        self.countIncludePadding = countIncludePadding
    }

    public init(window: PoolingWindow, countIncludePadding: Bool = true) {
        self.window = window
        self.countIncludePadding = countIncludePadding
    }

    /// x: (N,C,H,W) -> (N,C,H',W'); the cache is the input shape.
    public func forward(_ input: Tensor, training: Bool) -> (output: Tensor, cache: [Int]) {
        let s = window.shape(of: input)
        var output = Tensor.zeros(window.outputShape(of: input))
        let include = countIncludePadding
        Tensor.withShared([input]) { x in
            output.withSharedMutable { y in
                PoolingKernels.averageForward(x: x[0], y: y, countIncludePadding: include, shape: s)
            }
        }
        return (output, input.shape)
    }

    /// dy: (N,C,H',W') -> dx: (N,C,H,W)
    public func backward(_ gradOutput: Tensor, cache inputShape: [Int]) -> Tensor {
        var gradInput = Tensor.zeros(inputShape)
        precondition(gradOutput.shape == window.outputShape(of: gradInput), "AvgPool2d gradient \(gradOutput.shape) does not match its output")
        let s = window.shape(of: gradInput)
        let include = countIncludePadding
        Tensor.withShared([gradOutput]) { dy in
            gradInput.withSharedMutable { dx in
                PoolingKernels.averageBackward(dy: dy[0], dx: dx, countIncludePadding: include, shape: s)
            }
        }
        return gradInput
    }
}
