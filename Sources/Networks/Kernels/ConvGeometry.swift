/// Zero padding on each side of a feature map. PyTorch's `padding=p` is symmetric; TensorFlow's
/// 'same' padding (EfficientNet) puts the odd pixel at the bottom and right, hence four sides.
public struct Padding: Sendable, Equatable, CustomStringConvertible {
    public var top: Int, bottom: Int, left: Int, right: Int

    public init(top: Int, bottom: Int, left: Int, right: Int) {
        precondition(top >= 0 && bottom >= 0 && left >= 0 && right >= 0, "negative padding")
        self.top = top; self.bottom = bottom; self.left = left; self.right = right
    }

    /// The same padding on all four sides.
    public init(_ all: Int) { self.init(top: all, bottom: all, left: all, right: all) }

    /// `vertical` above and below, `horizontal` left and right (PyTorch's padding=(ph, pw)).
    public init(vertical: Int, horizontal: Int) {
        self.init(top: vertical, bottom: vertical, left: horizontal, right: horizontal)
    }

    public static let zero = Padding(0)

    /// TensorFlow's 'same' padding for an input of `height` x `width`: the output is
    /// ceil(size / stride), and when the total padding is odd the extra pixel goes bottom/right.
    public static func same(height: Int, width: Int, kernelHeight: Int, kernelWidth: Int,
                            strideHeight: Int, strideWidth: Int) -> Padding {
        func split(_ size: Int, _ kernel: Int, _ stride: Int) -> (Int, Int) {
            let out = (size + stride - 1) / stride
            let total = max(0, (out - 1) * stride + kernel - size)
            return (total / 2, total - total / 2)
        }
        let (top, bottom) = split(height, kernelHeight, strideHeight)
        let (left, right) = split(width, kernelWidth, strideWidth)
        return Padding(top: top, bottom: bottom, left: left, right: right)
    }

    public var description: String {
        top == bottom && left == right && top == left ? "\(top)" : "(t \(top), b \(bottom), l \(left), r \(right))"
    }
}

/// The sizes one sliding-window operation (convolution, pooling) works with, for one image.
struct WindowGeometry: Sendable, Equatable {
    let channels: Int, height: Int, width: Int
    let kernelHeight: Int, kernelWidth: Int
    let strideHeight: Int, strideWidth: Int
    let padding: Padding

    init(channels: Int, height: Int, width: Int, kernelHeight: Int, kernelWidth: Int,
         strideHeight: Int, strideWidth: Int, padding: Padding) {
        precondition(kernelHeight > 0 && kernelWidth > 0 && strideHeight > 0 && strideWidth > 0,
                     "kernel and stride must be positive")
        precondition(height + padding.top + padding.bottom >= kernelHeight
                     && width + padding.left + padding.right >= kernelWidth,
                     "kernel \(kernelHeight)x\(kernelWidth) larger than the padded input \(height)x\(width) pad \(padding)")
        self.channels = channels; self.height = height; self.width = width
        self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth
        self.strideHeight = strideHeight; self.strideWidth = strideWidth
        self.padding = padding
    }

    var outputHeight: Int { (height + padding.top + padding.bottom - kernelHeight) / strideHeight + 1 }
    var outputWidth: Int { (width + padding.left + padding.right - kernelWidth) / strideWidth + 1 }
    /// Output pixels per channel (H' * W').
    var outputPlane: Int { outputHeight * outputWidth }
    var inputPlane: Int { height * width }
    var kernelArea: Int { kernelHeight * kernelWidth }

    /// The input row read by output row `oh` at kernel row `i` (may be outside 0..<height).
    @inline(__always) func inputRow(_ oh: Int, _ i: Int) -> Int { oh * strideHeight - padding.top + i }

    /// The output columns whose input column (ow * stride - left + j) at kernel column `j` lies
    /// inside the image; the others read padding.
    @inline(__always) func validOutputColumns(_ j: Int) -> Range<Int> {
        let firstNeeded = padding.left - j            // ow * stride >= left - j
        let lastAllowed = width - 1 + padding.left - j  // ow * stride <= width - 1 + left - j
        let low = firstNeeded <= 0 ? 0 : (firstNeeded + strideWidth - 1) / strideWidth
        let high = lastAllowed < 0 ? 0 : min(outputWidth, lastAllowed / strideWidth + 1)
        return low..<max(low, high)
    }

    /// Likewise the output rows whose input row at kernel row `i` lies inside the image.
    @inline(__always) func validOutputRows(_ i: Int) -> Range<Int> {
        let firstNeeded = padding.top - i
        let lastAllowed = height - 1 + padding.top - i
        let low = firstNeeded <= 0 ? 0 : (firstNeeded + strideHeight - 1) / strideHeight
        let high = lastAllowed < 0 ? 0 : min(outputHeight, lastAllowed / strideHeight + 1)
        return low..<max(low, high)
    }
}

extension Padding: ExpressibleByIntegerLiteral {
    /// `padding: 1` reads as PyTorch's padding=1.
    public init(integerLiteral value: Int) { self.init(value) }
}
