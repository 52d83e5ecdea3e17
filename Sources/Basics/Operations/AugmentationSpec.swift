import Foundation

/// An augmentation as one string, shared by the CLI (`--augment`) and the TUI:
/// `rotate:30,crop:0.8,brightness:1.2,contrast:0.9,flip,noise:8,jpeg:40,fill:reflect,seed:7`.
///
/// Steps apply in the order written. Two terms are settings, not steps: `fill:black|reflect`
/// (what rotations show outside the image; default black) and `seed:N` (the noise seed;
/// default 0), each given at most once, anywhere. The empty string is the identity.
/// `description` prints the canonical form (steps in order, then non-default settings), and
/// parsing it gives back an equal value.
public struct AugmentationSpec: Hashable, Sendable, CustomStringConvertible {
    public var steps: [AugmentationStep]
    public var fill: RotationFill
    public var seed: UInt64

    public static let identity = AugmentationSpec()

    /// The settings terms, listed after the operations in messages.
    static let settingNames = ["fill", "seed"]

    public init(steps: [AugmentationStep] = [], fill: RotationFill = .black, seed: UInt64 = 0) {
        self.steps = steps
        self.fill = fill
        self.seed = seed
    }

    public var isIdentity: Bool { steps.isEmpty }

    public var description: String {
        var terms = steps.map(\.description)
        if fill != .black { terms.append("fill:\(fill.rawValue)") }
        if seed != 0 { terms.append("seed:\(seed)") }
        return terms.joined(separator: ",")
    }

    /// Parses a spec; the error names the first bad term and why.
    public init(parsing text: String) throws(AugmentationSpecError) {
        self.init()
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return }
        var sawFill = false, sawSeed = false
        for rawTerm in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            let term = rawTerm.trimmingCharacters(in: .whitespaces)
            guard !term.isEmpty else {
                throw AugmentationSpecError(term: term, reason: "empty term (two commas in a row, or a trailing comma?)")
            }
            let parts = term.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            let name = parts[0].lowercased()
            let values = Array(parts.dropFirst())
            switch name {
            case "fill":
                guard !sawFill else { throw AugmentationSpecError(term: term, reason: "fill is given twice") }
                guard values.count == 1, let value = RotationFill(rawValue: values[0].lowercased()) else {
                    throw AugmentationSpecError(term: term, reason: "fill must be one of: "
                        + RotationFill.allCases.map(\.rawValue).joined(separator: ", "))
                }
                fill = value
                sawFill = true
            case "seed":
                guard !sawSeed else { throw AugmentationSpecError(term: term, reason: "seed is given twice") }
                guard values.count == 1, let value = UInt64(values[0]) else {
                    throw AugmentationSpecError(term: term, reason: "seed must be a non-negative integer")
                }
                seed = value
                sawSeed = true
            default:
                guard let operation = AugmentationOperation(rawValue: name) else {
                    throw AugmentationSpecError(term: term, reason: Self.unknownOperationReason(parts[0]))
                }
                steps.append(try Self.step(operation, values: values, term: term))
            }
        }
    }

    static func unknownOperationReason(_ name: String) -> String {
        "unknown operation '\(name)' (known: "
            + AugmentationOperation.allCases.map(\.rawValue).joined(separator: ", ")
            + "; settings: " + settingNames.joined(separator: ", ") + ")"
    }

    private static func step(_ operation: AugmentationOperation, values: [String],
                             term: String) throws(AugmentationSpecError) -> AugmentationStep {
        if operation == .flip {
            guard values.isEmpty else { throw AugmentationSpecError(term: term, reason: "flip takes no value") }
            return .flip
        }
        guard !values.isEmpty, !(values.count == 1 && values[0].isEmpty) else {
            throw AugmentationSpecError(term: term, reason: "\(operation.rawValue) needs a value, e.g. \(operation.example)")
        }
        guard values.count == 1 else {
            throw AugmentationSpecError(term: term, reason:
                "\(operation.rawValue) takes one value (a range such as rotate:0:90:15 is for robustness sweeps)")
        }
        guard let strength = AugmentationNumber.parse(values[0]) else {
            throw AugmentationSpecError(term: term, reason: "\(operation.strengthName) must be a number")
        }
        return try AugmentationStep(operation, strength: strength, term: term)
    }

    /// Applies the steps in order. Only `jpeg` can fail (an encoder error).
    public func apply(to image: RGBImage) throws(ImageError) -> RGBImage {
        var current = image
        for (index, step) in steps.enumerated() {
            switch step {
            case .rotate(let degrees): current = current.rotated(degrees: degrees, fill: fill)
            case .crop(let fraction): current = current.croppedCentre(fraction: fraction)
            case .brightness(let factor): current = current.brightness(factor)
            case .contrast(let factor): current = current.contrast(factor)
            case .flip: current = current.flippedHorizontally()
            case .noise(let sigma): current = current.withGaussianNoise(sigma: sigma, seed: Self.stepSeed(seed, index))
            case .jpeg(let quality): current = try current.recompressedJPEG(quality: quality)
            }
        }
        return current
    }

    /// Each noise step draws from its own stream, so two noise steps are independent.
    static func stepSeed(_ seed: UInt64, _ index: Int) -> UInt64 {
        seed ^ (UInt64(index) &* 0xD1B5_4A32_D192_ED03)
    }
}
