import Foundation
import Basics

/// `list:FILE`, DeepHash-pytorch's list files: one image a line, `path l1 l2 ... lC`, the
/// labels a multi-hot row of 0/1. Paths are relative to FILE's folder (absolute ones are
/// taken as they are). The split comes from the file name, as DeepHash-pytorch names them:
/// test.txt -> test, train.txt -> train, anything else (database.txt) -> none.
public struct ListFileGallery: Gallery {
    public let spec: GallerySpec
    public let classNames: [String]
    public let items: [GalleryItem]
    public let problems: [GalleryProblem]
    public let isMultiLabel: Bool
    private let files: FileBackedImages

    public init(spec: GallerySpec) throws(GalleryError) {
        self.spec = spec
        let file = spec.path
        let bytes: [UInt8]
        do { bytes = try FileBytes.read(file) } catch { throw GalleryError(source: file, message: "cannot read list file: \(error.reason)") }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw GalleryError(source: file, message: "not a text file (invalid UTF-8)")
        }
        let folder = (file as NSString).deletingLastPathComponent
        let base = (file as NSString).lastPathComponent.lowercased()
        let split: Split = base.contains("test") ? .test : base.contains("train") ? .train : .none

        var items: [GalleryItem] = []
        var paths: [String] = []
        var problems: [GalleryProblem] = []
        var labelColumns: Int?
        for (number, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let fields = line.split(whereSeparator: \.isWhitespace)
            if fields.isEmpty { continue }
            let source = "\(file):\(number + 1)"
            let path = String(fields[0])
            let labelFields = fields.dropFirst()
            guard !labelFields.isEmpty else {
                problems.append(GalleryProblem(source: source, message: "no labels after the path"))
                continue
            }
            if let columns = labelColumns, columns != labelFields.count {
                problems.append(GalleryProblem(source: source, message: "\(labelFields.count) label columns, earlier lines have \(columns)"))
                continue
            }
            var labels: [Int] = []
            var bad: Substring?
            for (column, field) in labelFields.enumerated() {
                switch field {
                case "1": labels.append(column)
                case "0": break
                default: bad = bad ?? field
                }
            }
            if let bad {
                problems.append(GalleryProblem(source: source, message: "label '\(bad)' is not 0 or 1"))
                continue
            }
            labelColumns = labelFields.count
            items.append(GalleryItem(id: path, labels: labels, split: split))
            paths.append(joinPath(folder, path))
        }
        guard let columns = labelColumns else {
            throw GalleryError(source: file, message: "no usable lines: expected `path l1 l2 ... lC` with 0/1 labels")
        }
        self.classNames = (0..<columns).map { "label\($0)" }
        self.items = items
        self.problems = problems
        self.isMultiLabel = items.contains { $0.labels.count != 1 }
        self.files = FileBackedImages(paths: paths)
    }

    public func image(at index: Int) throws -> RGBImage { try files.image(at: index) }
    public func quickProblem(at index: Int) -> String? { files.quickProblem(at: index) }
}
