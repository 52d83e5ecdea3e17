import Basics
import Render

/// The live bends of the query the keys control, turned into one augmentation spec (the
/// spec string `search --augment` takes, so a TUI result can be reproduced on the command line).
public struct QueryAdjustments: Hashable, Sendable {
    /// Degrees counter-clockwise, in steps of 15, kept within -180...180.
    public var rotation: Double = 0
    /// Fraction of each side kept; 1 is no crop.
    public var crop: Double = 1
    /// Brightness multiplier, in steps of 0.1 within 0.2...2.
    public var brightness: Double = 1
    public var flip = false
    /// Gaussian noise sigma in 0-255 levels; 0 is none.
    public var noise: Double = 0

    public init() {}

    public static let rotationStep = 15.0
    public static let cropCycle: [Double] = [1, 0.9, 0.8, 0.7]
    public static let noiseCycle: [Double] = [0, 8, 16, 32]

    public mutating func rotate(by degrees: Double) {
        var r = (rotation + degrees).truncatingRemainder(dividingBy: 360)
        if r > 180 { r -= 360 }
        if r <= -180 { r += 360 }
        rotation = r
    }

    public mutating func cycleCrop() { crop = Self.next(after: crop, in: Self.cropCycle) }
    public mutating func cycleNoise() { noise = Self.next(after: noise, in: Self.noiseCycle) }

    public mutating func changeBrightness(by delta: Double) {
        brightness = min(2, max(0.2, ((brightness + delta) * 10).rounded() / 10))
    }

    public var isIdentity: Bool { self == QueryAdjustments() }

    /// crop, then rotate, brightness, flip and noise (noise seeded, so a query looks the same every time).
    public var spec: AugmentationSpec {
        var steps: [AugmentationStep] = []
        if crop < 1 { steps.append(.crop(fraction: crop)) }
        if rotation != 0 { steps.append(.rotate(degrees: rotation)) }
        if brightness != 1 { steps.append(.brightness(factor: brightness)) }
        if flip { steps.append(.flip) }
        if noise > 0 { steps.append(.noise(sigma: noise)) }
        return AugmentationSpec(steps: steps)
    }

    private static func next(after value: Double, in cycle: [Double]) -> Double {
        let i = cycle.firstIndex(where: { abs($0 - value) < 1e-9 }) ?? 0
        return cycle[(i + 1) % cycle.count]
    }
}
