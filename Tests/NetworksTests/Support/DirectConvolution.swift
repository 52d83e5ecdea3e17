@testable import Networks

/// nn.Conv2d written out one product at a time, the reference the kernels' tests hold them to.
enum DirectConvolution {
    /// Calls `product(output, input, weight)` with the flat indices of every product
    /// y[output] += w[weight] * x[input] of `layer` on an input of `shape` (N, C, H, W).
    static func forEachProduct(_ layer: Conv2d, input shape: [Int], _ product: (Int, Int, Int) -> Void) {
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let (oh, ow) = layer.outputSize(height: h, width: w)
        let k = layer.outChannels, cg = c / layer.groups, kg = k / layer.groups
        let kh = layer.kernelHeight, kw = layer.kernelWidth, p = layer.padding
        for image in 0..<n {
            for o in 0..<k {
                let g = o / kg
                for r in 0..<oh {
                    for q in 0..<ow {
                        let output = ((image * k + o) * oh + r) * ow + q
                        for ci in 0..<cg {
                            for i in 0..<kh {
                                let ih = r * layer.strideHeight - p.top + i
                                guard ih >= 0 && ih < h else { continue }
                                for j in 0..<kw {
                                    let iw = q * layer.strideWidth - p.left + j
                                    guard iw >= 0 && iw < w else { continue }
                                    product(output, ((image * c + g * cg + ci) * h + ih) * w + iw, ((o * cg + ci) * kh + i) * kw + j)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The forward pass in Double.
    static func forward(_ layer: Conv2d, _ x: Tensor) -> [Float] {
        let (n, _, h, w) = x.nchw, (oh, ow) = layer.outputSize(height: h, width: w)
        let plane = oh * ow, xs = x.scalars, ws = layer.weight.scalars, bias = layer.bias?.scalars
        var out = (0..<(n * layer.outChannels * plane)).map { Double(bias?[($0 / plane) % layer.outChannels] ?? 0) }
        forEachProduct(layer, input: x.shape) { o, i, k in out[o] += Double(ws[k]) * Double(xs[i]) }
        return out.map(Float.init)
    }

    /// dL/dx, dL/dW and dL/db for dL/dy = dy, in Double.
    static func gradients(_ layer: Conv2d, _ x: Tensor, _ dy: Tensor) -> (dx: [Float], dWeight: [Float], dBias: [Float]) {
        let xs = x.scalars, ws = layer.weight.scalars, g = dy.scalars, plane = dy.shape[2] * dy.shape[3]
        var dx = [Double](repeating: 0, count: xs.count), dW = [Double](repeating: 0, count: ws.count)
        var db = [Double](repeating: 0, count: layer.outChannels)
        for (o, value) in g.enumerated() { db[(o / plane) % layer.outChannels] += Double(value) }
        forEachProduct(layer, input: x.shape) { o, i, k in
            dW[k] += Double(g[o]) * Double(xs[i])
            dx[i] += Double(g[o]) * Double(ws[k])
        }
        return (dx.map(Float.init), dW.map(Float.init), db.map(Float.init))
    }
}
