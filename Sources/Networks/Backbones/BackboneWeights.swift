import Basics
import Foundation

/// Finding and opening a backbone's imported weights (kept out of git: `scripts/fetch-backbone`
/// fetches them once into the repository's .cache/backbones).
public enum BackboneWeights {
    /// `explicit` when given, else `name.defaultWeightsPath` under the first of `roots` that
    /// has it. A missing file is an error that says how to fetch it.
    public static func locate(_ name: BackboneName, explicit: String? = nil, roots: [String]) throws(BackboneWeightsError) -> String {
        if let explicit {
            guard FileManager.default.fileExists(atPath: explicit) else {
                let how = name.efficientNetLite.map { "\(fetchCommand($0)) fetches and imports them" }
                    ?? "import torchvision's resnet50-*.pth with hashscope import --torch FILE --out \(explicit)"
                throw BackboneWeightsError("\(explicit): no such \(name.rawValue) weights file (\(how))")
            }
            return explicit
        }
        if let found = roots.map({ $0 + "/" + name.defaultWeightsPath }).first(where: { FileManager.default.fileExists(atPath: $0) }) {
            return found
        }
        if let variant = name.efficientNetLite {
            throw BackboneWeightsError("\(name.defaultWeightsPath): the \(name.rawValue) weights are missing; run \(fetchCommand(variant)) (needs pip and network once)")
        }
        throw BackboneWeightsError("\(name.defaultWeightsPath): the resnet50 weights are missing; import torchvision's resnet50-*.pth there (hashscope import --torch FILE --out \(name.defaultWeightsPath)) or pass --backbone-weights")
    }

    /// The folders a model file's backbone weights may sit under: the model's folder and its
    /// ancestors (assets/models/x.safetensors -> the repository), then `extraRoots`.
    public static func roots(near modelPath: String, extraRoots: [String] = [FileManager.default.currentDirectoryPath]) -> [String] {
        var roots: [String] = []
        var url = URL(fileURLWithPath: modelPath).standardizedFileURL.deletingLastPathComponent()
        for _ in 0..<4 {
            roots.append(url.path)
            url.deleteLastPathComponent()
        }
        return roots + extraRoots
    }

    /// The backbone from its weights file; a damaged file's error says how to get it again.
    public static func open(_ name: BackboneName, path: String) throws(BackboneWeightsError) -> any PretrainedBackbone {
        if let variant = name.efficientNetLite { return try openEfficientNet(variant, path: path) }
        do { return try ResNet50Backbone(contentsOf: path) } catch {
            throw BackboneWeightsError("\(error.localizedDescription) (import torchvision's resnet50-*.pth with hashscope import --torch)")
        }
    }

    /// An EfficientNet-Lite itself (its classifier too: `classify`, `bench backbone`).
    public static func openEfficientNet(_ variant: EfficientNetLiteConfig.Variant, path: String) throws(BackboneWeightsError) -> EfficientNetLite {
        do { return try EfficientNetLite(variant, contentsOf: path) } catch {
            if case .otherNetwork = error.problem {
                throw BackboneWeightsError("\(error.localizedDescription) (\(fetchCommand(variant)) fetches and imports them)")
            }
            throw BackboneWeightsError("\(error.localizedDescription) (\(fetchCommand(variant)) fetches and imports the weights again)")
        }
    }

    /// The command that fetches and imports a variant's weights (Lite0's is the script's default).
    static func fetchCommand(_ variant: EfficientNetLiteConfig.Variant) -> String {
        variant == .lite0 ? "scripts/fetch-backbone" : "scripts/fetch-backbone \(variant.rawValue)"
    }

    /// SHA-256 of the weights file's bytes: what feature caches are keyed by.
    public static func fileDigest(_ path: String) throws(BackboneWeightsError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw BackboneWeightsError("\(path): cannot read the weights file") }
        return SHA256.hex(SHA256.hash(data))
    }
}

/// A backbone's weights cannot be found or read; one line naming the file.
public struct BackboneWeightsError: Error, LocalizedError, Sendable, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var errorDescription: String? { message }
}
