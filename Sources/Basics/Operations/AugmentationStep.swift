/// The operations an augmentation spec can name, in the order the help text lists them.
public enum AugmentationOperation: String, CaseIterable, Sendable {
    case rotate, crop, brightness, contrast, flip, noise, jpeg

    /// Whether the operation takes a strength (all but `flip`).
    public var hasStrength: Bool { self != .flip }

    /// What the strength means, for messages ("angle", "crop fraction", ...).
    var strengthName: String {
        switch self {
        case .rotate: return "angle"
        case .crop: return "crop fraction"
        case .brightness: return "brightness factor"
        case .contrast: return "contrast factor"
        case .flip: return "flip"
        case .noise: return "noise sigma"
        case .jpeg: return "JPEG quality"
        }
    }

    var example: String {
        switch self {
        case .rotate: return "rotate:30 (degrees, counter-clockwise)"
        case .crop: return "crop:0.8 (fraction of each side kept)"
        case .brightness: return "brightness:1.2 (multiplier)"
        case .contrast: return "contrast:0.9 (multiplier around the mean grey)"
        case .flip: return "flip"
        case .noise: return "noise:8 (sigma in 0-255 levels)"
        case .jpeg: return "jpeg:40 (quality 1-100)"
        }
    }
}

/// One step of an augmentation, with a validated strength.
public enum AugmentationStep: Hashable, Sendable, CustomStringConvertible {
    case rotate(degrees: Double)
    case crop(fraction: Double)
    case brightness(factor: Double)
    case contrast(factor: Double)
    case flip
    case noise(sigma: Double)
    case jpeg(quality: Int)

    public var operation: AugmentationOperation {
        switch self {
        case .rotate: return .rotate
        case .crop: return .crop
        case .brightness: return .brightness
        case .contrast: return .contrast
        case .flip: return .flip
        case .noise: return .noise
        case .jpeg: return .jpeg
        }
    }

    /// The strength as a number (nil for `flip`).
    public var strength: Double? {
        switch self {
        case .rotate(let value), .crop(let value), .brightness(let value), .contrast(let value), .noise(let value):
            return value
        case .jpeg(let quality): return Double(quality)
        case .flip: return nil
        }
    }

    /// The canonical term: `rotate:30`, `crop:0.8`, `flip`, `jpeg:40`.
    public var description: String {
        guard let strength else { return operation.rawValue }
        return operation.rawValue + ":" + AugmentationNumber.format(strength)
    }

    /// A step from an operation and a numeric strength, validated; `term` names the input in
    /// errors.
    public init(_ operation: AugmentationOperation, strength: Double, term: String) throws(AugmentationSpecError) {
        func fail(_ reason: String) -> AugmentationSpecError { AugmentationSpecError(term: term, reason: reason) }
        guard strength.isFinite else { throw fail("\(operation.strengthName) must be a number") }
        switch operation {
        case .rotate:
            self = .rotate(degrees: strength)
        case .crop:
            guard strength > 0 && strength <= 1 else { throw fail("crop fraction must be in (0, 1]") }
            self = .crop(fraction: strength)
        case .brightness:
            guard strength >= 0 else { throw fail("brightness factor must be >= 0") }
            self = .brightness(factor: strength)
        case .contrast:
            guard strength >= 0 else { throw fail("contrast factor must be >= 0") }
            self = .contrast(factor: strength)
        case .noise:
            guard strength >= 0 && strength <= 255 else { throw fail("noise sigma must be in [0, 255]") }
            self = .noise(sigma: strength)
        case .jpeg:
            guard strength == strength.rounded() else { throw fail("JPEG quality must be an integer") }
            guard strength >= 1 && strength <= 100 else { throw fail("JPEG quality must be in 1...100") }
            self = .jpeg(quality: Int(strength))
        case .flip:
            throw fail("flip takes no value")
        }
    }
}

/// Numbers in specs: parsed as decimals, printed in the shortest form that reads back to the
/// same value (`30`, not `30.0`; `0.8`).
public enum AugmentationNumber {
    static func parse(_ text: String) -> Double? {
        // Double(_:) also accepts "nan", "inf" and hex floats; a spec wants plain decimals.
        guard !text.isEmpty, text.allSatisfy({ "0123456789+-.eE".contains($0) }), let value = Double(text),
              value.isFinite else { return nil }
        return value
    }

    public static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
