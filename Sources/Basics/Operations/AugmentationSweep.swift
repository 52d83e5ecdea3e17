import Foundation

/// The range form for robustness sweeps: `OPERATION:START:STOP:STEP`, e.g. `rotate:0:90:15`
/// for the strengths 0, 15, ..., 90 (STOP included when the steps land on it). Every strength
/// must be valid for the operation.
public struct AugmentationSweep: Hashable, Sendable, CustomStringConvertible {
    public let operation: AugmentationOperation
    public let start: Double
    public let stop: Double
    public let step: Double

    /// More strengths than this is a typo, not a sweep.
    public static let maxStrengths = 1000

    public var description: String {
        [operation.rawValue, AugmentationNumber.format(start), AugmentationNumber.format(stop),
         AugmentationNumber.format(step)].joined(separator: ":")
    }

    public init(parsing text: String) throws(AugmentationSpecError) {
        let term = text.trimmingCharacters(in: .whitespaces)
        let parts = term.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard let operation = AugmentationOperation(rawValue: parts[0].lowercased()) else {
            throw AugmentationSpecError(term: term, reason: AugmentationSpec.unknownOperationReason(parts[0]))
        }
        guard operation.hasStrength else {
            throw AugmentationSpecError(term: term, reason: "\(operation.rawValue) has no strength to sweep")
        }
        guard parts.count == 4 else {
            throw AugmentationSpecError(term: term, reason:
                "a sweep is OPERATION:START:STOP:STEP, e.g. rotate:0:90:15")
        }
        var numbers: [Double] = []
        for (name, value) in zip(["start", "stop", "step"], parts.dropFirst()) {
            guard let number = AugmentationNumber.parse(value) else {
                throw AugmentationSpecError(term: term, reason: "\(name) must be a number")
            }
            numbers.append(number)
        }
        let (start, stop, step) = (numbers[0], numbers[1], numbers[2])
        guard step > 0 else { throw AugmentationSpecError(term: term, reason: "step must be > 0") }
        guard stop >= start else { throw AugmentationSpecError(term: term, reason: "stop must be >= start") }
        guard (stop - start) / step < Double(Self.maxStrengths) else {
            throw AugmentationSpecError(term: term, reason: "more than \(Self.maxStrengths) strengths")
        }
        self.operation = operation
        self.start = start
        self.stop = stop
        self.step = step
        for strength in strengths {
            do {
                _ = try AugmentationStep(operation, strength: strength, term: term)
            } catch {
                throw AugmentationSpecError(term: term, reason: error.reason + " (at strength \(AugmentationNumber.format(strength)))")
            }
        }
    }

    /// start, start + step, ... up to stop. Each value is start + i * step rounded to 9 decimals,
    /// so 0.5:1:0.1 gives 0.6, not 0.6000000000000001.
    public var strengths: [Double] {
        let count = Int(((stop - start) / step + 1e-9).rounded(.down)) + 1
        return (0..<count).map { i in ((start + Double(i) * step) * 1e9).rounded() / 1e9 }
    }

    /// One single-step spec per strength, sharing `fill` and `seed`.
    public func specs(fill: RotationFill = .black, seed: UInt64 = 0) -> [AugmentationSpec] {
        strengths.compactMap { strength in
            // Validated in init; compactMap only keeps the compiler honest.
            (try? AugmentationStep(operation, strength: strength, term: description)).map {
                AugmentationSpec(steps: [$0], fill: fill, seed: seed)
            }
        }
    }
}
