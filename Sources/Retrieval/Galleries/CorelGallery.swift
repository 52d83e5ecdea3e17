import Foundation
import Basics

/// `corel:DIR`, the Wang / Corel-1k layout: DIR/0.jpg ... DIR/N.jpg, class = index / 100.
public struct CorelGallery: Gallery {
    /// The Wang database's ten classes, in index order.
    public static let wangClassNames = ["africans", "beach", "buildings", "buses", "dinosaurs",
                                        "elephants", "flowers", "horses", "mountains", "food"]
    public static let imagesPerClass = 100

    public let spec: GallerySpec
    public let classNames: [String]
    public let items: [GalleryItem]
    public let problems: [GalleryProblem]
    public var isMultiLabel: Bool { false }
    private let files: FileBackedImages

    public init(spec: GallerySpec) throws(GalleryError) {
        self.spec = spec
        let root = spec.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory) else {
            throw GalleryError(source: root, message: "no such folder")
        }
        guard isDirectory.boolValue else { throw GalleryError(source: root, message: "not a folder") }
        let entries: [String]
        do { entries = try FileManager.default.contentsOfDirectory(atPath: root) } catch {
            throw GalleryError(source: root, message: "cannot list folder: \(error.localizedDescription)")
        }
        var numbered: [(index: Int, name: String)] = []
        for name in entries {
            guard let dot = name.lastIndex(of: "."),
                  ["jpg", "jpeg"].contains(name[name.index(after: dot)...].lowercased()),
                  let index = Int(name[..<dot]), index >= 0 else { continue }
            numbered.append((index, name))
        }
        numbered.sort { $0.index < $1.index }
        guard let last = numbered.last else {
            throw GalleryError(source: root, message: "no numbered images: expected 0.jpg, 1.jpg, ... (class = index / 100)")
        }
        let classCount = last.index / Self.imagesPerClass + 1
        classNames = (0..<classCount).map { $0 < Self.wangClassNames.count ? Self.wangClassNames[$0] : "class\($0)" }
        items = numbered.map { GalleryItem(id: $0.name, labels: [$0.index / Self.imagesPerClass], split: .none) }
        files = FileBackedImages(paths: numbered.map { joinPath(root, $0.name) })

        // A gap in the numbering is a lost image: say which, so a user can tell.
        var problems: [GalleryProblem] = []
        let present = Set(numbered.map(\.index))
        let missing = (0...last.index).filter { !present.contains($0) }
        if !missing.isEmpty {
            let shown = missing.prefix(5).map { "\($0).jpg" }.joined(separator: ", ")
            problems.append(GalleryProblem(source: root, message: "\(missing.count) numbered image(s) missing: \(shown)\(missing.count > 5 ? ", ..." : "")"))
        }
        self.problems = problems
    }

    public func image(at index: Int) throws -> RGBImage { try files.image(at: index) }
    public func quickProblem(at index: Int) -> String? { files.quickProblem(at: index) }
}
