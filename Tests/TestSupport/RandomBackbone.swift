import Foundation
import Networks
import Basics

/// EfficientNet-Lite0 with seeded random weights of the real shapes: the backbone for tests that
/// need its structure, not its ImageNet knowledge (those skip without the fetched weights).
public enum RandomBackbone {
    public static func tensors(seed: UInt64 = 1) -> [String: Tensor] {
        var generator = SeededGenerator(seed: seed)
        var tensors: [String: Tensor] = [:]
        for (name, shape) in EfficientNetLiteConfig.expectedTensors {
            let fanIn = shape.count > 1 ? shape.dropFirst().reduce(1, *) : 1
            let bound = 1 / Float(fanIn).squareRoot()
            switch name.split(separator: ".").last ?? "" {
            case "running_var": tensors[name] = .randomUniform(shape, low: 0.5, high: 1.5, generator: &generator)
            case "running_mean", "bias": tensors[name] = .randomUniform(shape, low: -0.1, high: 0.1, generator: &generator)
            case "weight" where name.contains("_bn"): tensors[name] = .randomUniform(shape, low: 0.5, high: 1.5, generator: &generator)
            default: tensors[name] = .randomUniform(shape, low: -bound, high: bound, generator: &generator)
            }
        }
        return tensors
    }

    public static func model(seed: UInt64 = 1) -> EfficientNetLite0 { EfficientNetLite0(tensors: tensors(seed: seed)) }

    /// Writes the weights as an imported backbone file at `path` (folders created).
    public static func write(to path: String, seed: UInt64 = 1) throws {
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path,
                                                withIntermediateDirectories: true)
        try ModelFile.save(stateDict: tensors(seed: seed).sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }, to: path)
    }
}
