/// The names of a torchvision-family state dict (DeepHash-pytorch's network.py, HashNet's
/// VGGFc, torchvision's own modules with a replaced last layer) in hashscope's names for the
/// same network (`TorchvisionArchitectures.swift`).
///
/// Several layouts hold the same tensor twice: DeepHash's ResNet registers its modules both
/// as `conv1`, `layer1`, ... and inside `feature_layers` (0 conv1, 1 bn1, 4-7 layer1-4), HashNet's
/// VGGFc as `features`/`classifier` and inside `feature_layers`, and a module kept whole (its
/// `model_vgg`) under its own prefix. Those second copies are `.alias`es: used when no
/// `.rename` gives the same name, otherwise compared with it and dropped. A `module.` prefix
/// (DataParallel) is removed first.
public enum TorchvisionStateDict {
    public enum Mapping: Equatable, Sendable {
        /// hashscope's name for the tensor.
        case rename(String)
        /// A second name of a tensor that a `.rename` may give too (then the two must agree).
        case alias(String)
        /// Known and not part of the network: the ImageNet classifier of a torchvision module
        /// kept whole beside the hash layer.
        case unused
        /// Not a name of this family: the file is another network.
        case unknown
    }

    /// Where `name` (a tensor of a `arch` state dict) goes.
    public static func mapping(of name: String, arch: Architecture) -> Mapping {
        let name = name.hasPrefix("module.") ? String(name.dropFirst("module.".count)) : name
        if arch.torchvisionResNetDepth != nil { return resNet(name) }
        switch arch {
        case .deephashAlexNet: return alexNet(name)
        case .deephashVGG16: return vgg(name)
        default: return .unknown
        }
    }

    /// conv1/bn1/layerN -> features.*; hash_layer (DeepHash) or fc (torchvision's, replaced) -> hash.
    private static func resNet(_ name: String) -> Mapping {
        let (head, rest) = split(name)
        switch head {
        case "conv1", "bn1", "layer1", "layer2", "layer3", "layer4": return .rename("features." + name)
        case "hash_layer", "fc": return .rename("hash." + rest)
        case "feature_layers":
            let (index, tail) = split(rest)
            let modules = ["0": "conv1", "1": "bn1", "4": "layer1", "5": "layer2", "6": "layer3", "7": "layer4"]
            guard let module = modules[index], !tail.isEmpty else { return .unknown }
            return .alias("features.\(module).\(tail)")
        default: return .unknown
        }
    }

    /// features.N -> features.features.N; the classifier's fc 4096 layers at DeepHash's
    /// hash_layer.1/.4 (torchvision's classifier.1/.4: the same indices), the hash layer at .6.
    private static func alexNet(_ name: String) -> Mapping {
        let (head, rest) = split(name)
        switch head {
        case "features": return .rename("features." + name)
        case "hash_layer", "classifier":
            let (index, tail) = split(rest)
            switch index {
            case "1", "4": return .rename("features.classifier.\(index).\(tail)")
            case "6": return .rename("hash.\(tail)")
            default: return .unknown
            }
        default: return .unknown
        }
    }

    /// features.N -> features.features.N; fc 4096 layers at classifier.0/.3 (torchvision's
    /// indices; HashNet's `classifier.classifier0/3`; DeepHash-style `hash_layer.0/.3`), the
    /// hash layer at `hash_layer` (HashNet) or index 6.
    private static func vgg(_ name: String) -> Mapping {
        let (head, rest) = split(name)
        let fcIndex: [String: String] = ["0": "0", "3": "3", "classifier0": "0", "classifier3": "3"]
        switch head {
        case "features": return .rename("features." + name)
        case "classifier", "hash_layer":
            let (index, tail) = split(rest)
            if let fc = fcIndex[index] { return .rename("features.classifier.\(fc).\(tail)") }
            if index == "6" { return .rename("hash.\(tail)") }
            if head == "hash_layer", index == "weight" || index == "bias", tail.isEmpty { return .rename("hash.\(index)") }
            return .unknown
        case "feature_layers":
            // nn.Sequential(features, classifier): 0.N is features.N, 1.classifierK is classifier.classifierK.
            let (part, tail) = split(rest)
            if part == "0" { return .alias("features.features.\(tail)") }
            if part == "1", case .rename(let ours) = vgg("classifier.\(tail)") { return .alias(ours) }
            return .unknown
        case "model_vgg":
            // The whole torchvision VGG kept as a submodule: its features and fc 4096 layers are
            // the network's; its ImageNet classifier.6 is not.
            if rest.hasPrefix("classifier.6.") { return .unused }
            if case .rename(let ours) = vgg(rest) { return .alias(ours) }
            return .unknown
        default: return .unknown
        }
    }

    /// "a.b.c" -> ("a", "b.c"); "a" -> ("a", "").
    private static func split(_ name: String) -> (String, String) {
        guard let dot = name.firstIndex(of: ".") else { return (name, "") }
        return (String(name[..<dot]), String(name[name.index(after: dot)...]))
    }
}
