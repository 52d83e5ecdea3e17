import Foundation

/// What a rotation shows where the rotated image does not cover the frame.
public enum RotationFill: String, Sendable, CaseIterable {
    /// Samples outside the image are black (bilinear with zero padding).
    case black
    /// Coordinates reflect at the image edges, so the corners show a mirror of the image.
    case reflect
}

extension RGBImage {
    /// This image rotated counter-clockwise (as on screen) by `degrees` about its centre,
    /// same size out, bilinear.
    ///
    /// Conventions (shared with scripts/reference_image_ops.py): pixel centres at i + 0.5, the
    /// centre of rotation at (width / 2, height / 2). Output pixel (x, y) samples the source at
    /// sx = cx + dx cos t - dy sin t - 0.5, sy = cy + dx sin t + dy cos t - 0.5 (pixel-index
    /// units), where (dx, dy) = (x + 0.5 - cx, y + 0.5 - cy). With `.black`, the four bilinear
    /// neighbours that fall outside the image count as 0 (PyTorch grid_sample's "zeros"); with
    /// `.reflect`, the coordinate reflects about the image edges (-0.5 and size - 0.5, grid_sample's
    /// "reflection") and is then clamped. Multiples of 90 degrees use exact sines and cosines, so
    /// 90 degrees on a square image is an exact transpose-and-flip.
    public func rotated(degrees: Double, fill: RotationFill = .black) -> RGBImage {
        precondition(degrees.isFinite, "rotation angle must be finite")
        let (sine, cosine) = Self.exactSineCosine(degrees: degrees)
        if sine == 0 && cosine == 1 { return self }
        let cx = Double(width) / 2, cy = Double(height) / 2
        var output = [UInt8](repeating: 0, count: pixels.count)
        pixels.withUnsafeBufferPointer { src in
            output.withUnsafeMutableBufferPointer { dst in
                for y in 0..<height {
                    let dy = Double(y) + 0.5 - cy
                    for x in 0..<width {
                        let dx = Double(x) + 0.5 - cx
                        var sx = cx + dx * cosine - dy * sine - 0.5
                        var sy = cy + dx * sine + dy * cosine - 0.5
                        if fill == .reflect {
                            sx = Self.reflect(sx, size: width)
                            sy = Self.reflect(sy, size: height)
                        }
                        let o = (y * width + x) * 3
                        Self.sampleBilinear(src, width: width, height: height, x: sx, y: sy,
                                            into: dst, at: o)
                    }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: output)
    }

    /// sin and cos of an angle in degrees, exact at multiples of 90.
    static func exactSineCosine(degrees: Double) -> (Double, Double) {
        let turns = degrees.truncatingRemainder(dividingBy: 360)
        let quarter = turns / 90
        if quarter == quarter.rounded() {
            switch (Int(quarter) % 4 + 4) % 4 {
            case 0: return (0, 1)
            case 1: return (1, 0)
            case 2: return (0, -1)
            default: return (-1, 0)
            }
        }
        let radians = turns * Double.pi / 180
        return (sin(radians), cos(radians))
    }

    /// Reflects a pixel-index coordinate about the image edges (-0.5 and size - 0.5), then clamps
    /// it to the pixel centres so that both bilinear neighbours lie inside.
    static func reflect(_ coordinate: Double, size: Int) -> Double {
        let span = Double(size)
        var p = (coordinate + 0.5).truncatingRemainder(dividingBy: 2 * span)
        if p < 0 { p += 2 * span }
        if p > span { p = 2 * span - p }
        return min(max(p - 0.5, 0), span - 1)
    }

    /// Bilinear sample at (x, y) in pixel-index units; neighbours outside the image are 0.
    @inline(__always)
    static func sampleBilinear(_ src: UnsafeBufferPointer<UInt8>, width: Int, height: Int, x: Double, y: Double,
                               into dst: UnsafeMutableBufferPointer<UInt8>, at o: Int) {
        let x0 = Int(x.rounded(.down)), y0 = Int(y.rounded(.down))
        let fx = x - Double(x0), fy = y - Double(y0)
        var r = 0.0, g = 0.0, b = 0.0
        @inline(__always) func add(_ xx: Int, _ yy: Int, _ w: Double) {
            guard w != 0, xx >= 0, xx < width, yy >= 0, yy < height else { return }
            let i = (yy * width + xx) * 3
            r += w * Double(src[i]); g += w * Double(src[i + 1]); b += w * Double(src[i + 2])
        }
        add(x0, y0, (1 - fx) * (1 - fy))
        add(x0 + 1, y0, fx * (1 - fy))
        add(x0, y0 + 1, (1 - fx) * fy)
        add(x0 + 1, y0 + 1, fx * fy)
        dst[o] = clampToByte(r); dst[o + 1] = clampToByte(g); dst[o + 2] = clampToByte(b)
    }
}
