import Foundation

/// What the explorer can open (`M` switches among them): a model on a gallery, or a folder of
/// codes made elsewhere with its two list files.
public struct WorkspaceChoice: Hashable, Sendable {
    public enum Codes: Hashable, Sendable {
        /// A model file, with an index file of the gallery's codes by it instead of encoding them.
        case model(path: String, indexPath: String?)
        /// A DeepHash-pytorch save folder; its queries' images are `querySpec`'s, relative image
        /// paths are read under `imageRoot` when given, and the model at `modelPath`, when given,
        /// encodes bent and image-file queries.
        case folder(path: String, querySpec: String, imageRoot: String?, modelPath: String?)
    }

    public var codes: Codes
    /// The database's images.
    public var gallerySpec: String

    public init(modelPath: String, gallerySpec: String, indexPath: String? = nil) {
        codes = .model(path: modelPath, indexPath: indexPath)
        self.gallerySpec = gallerySpec
    }

    public init(codesFolder: String, gallerySpec: String, querySpec: String, imageRoot: String? = nil, modelPath: String? = nil) {
        codes = .folder(path: codesFolder, querySpec: querySpec, imageRoot: imageRoot, modelPath: modelPath)
        self.gallerySpec = gallerySpec
    }

    /// The model file or the codes folder, as given.
    public var origin: String {
        switch codes {
        case .model(let path, _), .folder(let path, _, _, _): return path
        }
    }

    /// The model's file name without extension, or the folder's name.
    public var shortName: String {
        switch codes {
        case .model(let path, _): return URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        case .folder(let path, _, _, _): return URL(fileURLWithPath: path).lastPathComponent
        }
    }
}
