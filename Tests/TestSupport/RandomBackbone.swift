import Foundation
import Networks
import Basics

/// The pretrained backbones with seeded random weights of the real shapes, by their own
/// tensor names: for tests that need their structure, not their ImageNet knowledge (those skip
/// without the fetched weights).
public enum RandomBackbone {
    /// An EfficientNet-Lite's tensors (Lite0's unless told).
    public static func tensors(_ variant: EfficientNetLiteConfig.Variant = .lite0, seed: UInt64 = 1) -> [String: Tensor] {
        random(EfficientNetLiteConfig(variant).expectedTensors, seed: seed) { $0.contains("_bn") }
    }

    /// torchvision's ResNet-50 state dict, its ImageNet fc included (a backbone ignores it).
    public static func resNet50Tensors(seed: UInt64 = 1) -> [String: Tensor] {
        let expected = ResNet50Backbone.expectedTensors + [(name: "fc.weight", shape: [1000, 2048]), (name: "fc.bias", shape: [1000])]
        return random(expected, seed: seed) { $0.contains("bn") || $0.contains("downsample.1") }
    }

    public static func model(_ variant: EfficientNetLiteConfig.Variant = .lite0, seed: UInt64 = 1) -> EfficientNetLite {
        EfficientNetLite(variant, tensors: tensors(variant, seed: seed))
    }

    /// Writes EfficientNet-Lite0's (or `tensors`) as an imported backbone file at `path` (folders created).
    public static func write(to path: String, seed: UInt64 = 1, tensors given: [String: Tensor]? = nil) throws {
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path,
                                                withIntermediateDirectories: true)
        let tensors = given ?? tensors(seed: seed)
        try ModelFile.save(stateDict: tensors.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }, to: path)
    }

    /// Uniform weights scaled by fan-in; batch norms (`isNorm` names) with weights and
    /// variances near 1, small shifts and means.
    private static func random(_ expected: [(name: String, shape: [Int])], seed: UInt64, isNorm: (String) -> Bool) -> [String: Tensor] {
        var generator = SeededGenerator(seed: seed)
        var tensors: [String: Tensor] = [:]
        for (name, shape) in expected {
            let fanIn = shape.count > 1 ? shape.dropFirst().reduce(1, *) : 1
            let bound = 1 / Float(fanIn).squareRoot()
            switch name.split(separator: ".").last ?? "" {
            case "running_var": tensors[name] = .randomUniform(shape, low: 0.5, high: 1.5, generator: &generator)
            case "running_mean", "bias": tensors[name] = .randomUniform(shape, low: -0.1, high: 0.1, generator: &generator)
            case "weight" where isNorm(name): tensors[name] = .randomUniform(shape, low: 0.5, high: 1.5, generator: &generator)
            default: tensors[name] = .randomUniform(shape, low: -bound, high: bound, generator: &generator)
            }
        }
        return tensors
    }
}
