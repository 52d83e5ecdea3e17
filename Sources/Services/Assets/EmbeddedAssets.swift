import Foundation
import Retrieval

/// The models and demo gallery shipped in the repository's assets/ folder, found beside the
/// executable (.build/<config>/hashscope -> the package root) or in the working directory;
/// HASHSCOPE_ASSETS names the folder outright.
public struct EmbeddedAssets: Sendable {
    public let folder: String

    public init(folder: String) { self.folder = folder }

    /// Folders that may be the repository: the executable's folder and its ancestors
    /// (.build/<config>/hashscope -> the package root), then the current directory.
    public static var repositoryRoots: [String] {
        var roots: [String] = []
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            roots.append(url.path)
            url.deleteLastPathComponent()
        }
        roots.append(FileManager.default.currentDirectoryPath)
        return roots
    }

    /// HASHSCOPE_ASSETS, then the assets/ folder of each repository root.
    public static var candidateFolders: [String] {
        var candidates: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["HASHSCOPE_ASSETS"], !explicit.isEmpty { candidates.append(explicit) }
        return candidates + repositoryRoots.map { $0 + "/assets" }
    }

    public static func locate() -> EmbeddedAssets? {
        candidateFolders.first { FileManager.default.fileExists(atPath: $0 + "/models") }.map(EmbeddedAssets.init)
    }

    /// The default model: the best from-scratch CIFAR-10 model, at 48 bits.
    public static let defaultModel = "cifar10-scratch-48.safetensors"

    /// Model files: the default first, then the self-contained models grouped as `hashscope
    /// models` lists them (by arch, bits), then the heads on a backbone (they need its weights);
    /// files without hashscope metadata are left out.
    public var models: [String] {
        guard let catalog = try? ModelCatalog(folder: folder + "/models") else { return [] }
        let isDefault = { (entry: ModelCatalog.Entry) in entry.path.hasSuffix("/" + Self.defaultModel) }
        let rest = catalog.entries.filter { !isDefault($0) }
        return (catalog.entries.filter(isDefault) + rest.filter { $0.metadata.backbone == nil } + rest.filter { $0.metadata.backbone != nil })
            .map(\.path)
    }

    /// The demo gallery's shipped codes under `model` (scripts/make-demo-gallery), when `gallery`
    /// is the demo and the index was made by exactly these weights; nil otherwise (then the
    /// gallery is encoded, or its cached codes used).
    public func demoIndex(model: String, gallery: String) -> String? {
        guard gallery == demoGallery else { return nil }
        let path = folder + "/demo-cifar10/" + URL(fileURLWithPath: model).deletingPathExtension().lastPathComponent + ".hsix"
        guard FileManager.default.fileExists(atPath: path), let index = try? IndexFile.read(path),
              let loaded = try? LoadedModel(path: model), index.metadata.modelFingerprint == loaded.fingerprint else { return nil }
        return path
    }

    public var demoGallery: String? {
        FileManager.default.fileExists(atPath: folder + "/demo-cifar10/test_batch.bin") ? "cifar10:" + folder + "/demo-cifar10" : nil
    }
}
