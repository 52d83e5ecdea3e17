import Foundation
import Basics

/// `folder:DIR`, torchvision's ImageFolder layout: DIR/<class>/**/<image>. When DIR holds
/// train/ and test/ folders of classes, those are the splits (class names are the union,
/// so the indices agree across splits). Classes are sorted by name, files by path, as
/// ImageFolder does, so class indices match a PyTorch user's.
public struct FolderGallery: Gallery {
    public let spec: GallerySpec
    public let classNames: [String]
    public let items: [GalleryItem]
    public let problems: [GalleryProblem]
    public var isMultiLabel: Bool { false }
    private let files: FileBackedImages

    public init(spec: GallerySpec) throws(GalleryError) {
        self.spec = spec
        let root = spec.path
        let top = try Self.subdirectories(of: root, spec: spec)
        var problems: [GalleryProblem] = []
        let splits: [(Split, String)]
        if top.contains("train") && top.contains("test") {
            splits = [(.train, "train"), (.test, "test")]
            for other in top where other != "train" && other != "test" {
                problems.append(GalleryProblem(source: joinPath(root, other),
                                               message: "not read: a folder with train/ and test/ splits reads only those two"))
            }
        } else {
            splits = [(.none, "")]
        }

        var classSet = Set<String>()
        var classDirectories: [(Split, String, [String])] = []  // split, relative dir, its classes
        for (split, relative) in splits {
            let classes = try Self.subdirectories(of: joinPath(root, relative), spec: spec)
            classSet.formUnion(classes)
            classDirectories.append((split, relative, classes))
        }
        let classNames = classSet.sorted()
        guard !classNames.isEmpty else {
            throw GalleryError(source: root, message: "no class folders: expected DIR/<class>/<image files> (or DIR/train/<class>/ and DIR/test/<class>/)")
        }
        let classIndex = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($1, $0) })

        var items: [GalleryItem] = []
        var paths: [String] = []
        for (split, relative, classes) in classDirectories {
            for name in classes {
                let classRelative = relative.isEmpty ? name : relative + "/" + name
                let directory = joinPath(root, classRelative)
                guard let enumerator = FileManager.default.enumerator(atPath: directory) else {
                    problems.append(GalleryProblem(source: directory, message: "cannot list folder"))
                    continue
                }
                var names: [String] = []
                while let entry = enumerator.nextObject() as? String {
                    let base = entry.split(separator: "/").last.map(String.init) ?? entry
                    if base.hasPrefix(".") { continue }
                    if ImageFileName.isImage(base) { names.append(entry) }
                }
                for entry in names.sorted() {
                    items.append(GalleryItem(id: classRelative + "/" + entry, labels: [classIndex[name]!], split: split))
                    paths.append(joinPath(directory, entry))
                }
            }
        }
        guard !items.isEmpty else {
            throw GalleryError(source: root, message: "no image files (\(ImageFileName.extensions.sorted().joined(separator: ", "))) in its class folders")
        }
        self.classNames = classNames
        self.items = items
        self.problems = problems
        self.files = FileBackedImages(paths: paths)
    }

    public func image(at index: Int) throws -> RGBImage { try files.image(at: index) }
    public func quickProblem(at index: Int) -> String? { files.quickProblem(at: index) }

    /// Visible subfolders of `path`, sorted.
    private static func subdirectories(of path: String, spec: GallerySpec) throws(GalleryError) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw GalleryError(source: path, message: "no such folder")
        }
        guard isDirectory.boolValue else { throw GalleryError(source: path, message: "not a folder") }
        let entries: [String]
        do { entries = try FileManager.default.contentsOfDirectory(atPath: path) } catch {
            throw GalleryError(source: path, message: "cannot list folder: \(error.localizedDescription)")
        }
        return entries.filter { name in
            var isDir: ObjCBool = false
            return !name.hasPrefix(".") && FileManager.default.fileExists(atPath: joinPath(path, name), isDirectory: &isDir) && isDir.boolValue
        }.sorted()
    }
}
