import Foundation
import Basics
import Retrieval

/// A list-file gallery whose relative image paths are read under another folder. A
/// DeepHash-pytorch list file names its images relative to wherever its run kept the data
/// (`data/cifar10/...`), which is seldom the list file's own folder; the items, labels and ids
/// stay the list file's, only where the pixels are read changes. Absolute paths are taken as
/// they are.
public struct ImageRootGallery: Gallery {
    public let base: any Gallery
    public let root: String
    private let paths: [String]

    /// `base` must be a `list:` gallery: its item ids are the paths as written in the file.
    public init(_ base: any Gallery, root: String) throws(ServiceError) {
        guard base.spec.kind == .list else {
            throw ServiceError("\(base.spec.description): an image root applies to list files only (their relative paths)")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ServiceError("\(root): no such folder (the root of \(base.spec.description)'s image paths)")
        }
        self.base = base
        self.root = root
        paths = base.items.map { $0.id.hasPrefix("/") ? $0.id : (root as NSString).appendingPathComponent($0.id) }
    }

    public var spec: GallerySpec { base.spec }
    public var classNames: [String] { base.classNames }
    public var items: [GalleryItem] { base.items }
    public var isMultiLabel: Bool { base.isMultiLabel }
    public var problems: [GalleryProblem] { base.problems }

    /// Where item `index`'s pixels are read.
    public func path(of index: Int) -> String { paths[index] }

    public func image(at index: Int) throws -> RGBImage { try ImageDecoder.decode(file: paths[index]) }

    public func quickProblem(at index: Int) -> String? {
        do {
            if try FileBytes.size(paths[index]) == 0 { return "\(paths[index]): empty file (0 bytes)" }
            return nil
        } catch {
            return error.errorDescription
        }
    }
}
