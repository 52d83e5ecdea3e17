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
                throw BackboneWeightsError("\(explicit): no such \(name.rawValue) weights file (scripts/fetch-backbone fetches and imports them)")
            }
            return explicit
        }
        if let found = roots.map({ $0 + "/" + name.defaultWeightsPath }).first(where: { FileManager.default.fileExists(atPath: $0) }) {
            return found
        }
        throw BackboneWeightsError("\(name.defaultWeightsPath): the \(name.rawValue) weights are missing; run scripts/fetch-backbone (needs pip and network once)")
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

    /// The backbone from its weights file; a damaged file's error says to fetch it again.
    public static func open(_ name: BackboneName, path: String) throws(BackboneWeightsError) -> EfficientNetLite0 {
        switch name {
        case .efficientNetLite0:
            do { return try EfficientNetLite0(contentsOf: path) } catch {
                throw BackboneWeightsError("\(error.localizedDescription) (scripts/fetch-backbone fetches and imports the weights again)")
            }
        }
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
