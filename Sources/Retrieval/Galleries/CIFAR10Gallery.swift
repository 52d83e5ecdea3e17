import Foundation
import Basics

/// `cifar10:DIR`: CIFAR-10 as distributed, either the binary batches (data_batch_1.bin ..
/// data_batch_5.bin, test_batch.bin, batches.meta.txt) or the python batches torchvision
/// downloads (cifar-10-batches-py: pickles data_batch_1 .. test_batch, batches.meta).
/// DIR is the folder holding the batches, or one holding cifar-10-batches-bin/ or
/// cifar-10-batches-py/ (binary preferred: no pickle to parse).
///
/// Labels are read at open; pixels are read one 3072-byte record at a time, when asked.
/// Item ids are `<batch file stem>/<record index>`, the same in both formats.
public struct CIFAR10Gallery: Gallery {
    /// CIFAR-10's ten class names in label order (what a folder without batches.meta.txt gets).
    public static let standardClassNames = CIFAR10Layout.standardClassNames

    public let spec: GallerySpec
    public let classNames: [String]
    public let items: [GalleryItem]
    public let problems: [GalleryProblem]
    public var isMultiLabel: Bool { false }
    public var fixedImageSize: (width: Int, height: Int)? { (CIFAR10Layout.side, CIFAR10Layout.side) }
    /// The folder the batches were read from.
    public let directory: String

    private let batches: [CIFAR10Batch]
    /// batchStarts[b]: the index of batch b's first item.
    private let batchStarts: [Int]

    public init(spec: GallerySpec) throws(GalleryError) {
        self.spec = spec
        let (directory, format) = try Self.locate(spec.path)
        self.directory = directory
        var problems: [GalleryProblem] = []

        // Class names first: labels are checked against them.
        let metaPath = joinPath(directory, format == .binary ? "batches.meta.txt" : "batches.meta")
        var classNames = CIFAR10Layout.standardClassNames
        if FileManager.default.fileExists(atPath: metaPath) {
            do throws(CIFAR10BatchProblem) {
                classNames = format == .binary
                    ? try CIFAR10Layout.readBinaryMeta(path: metaPath)
                    : try CIFAR10Layout.readPythonMeta(path: metaPath)
            } catch {
                problems.append(GalleryProblem(source: metaPath, message: "\(error.message); using the standard CIFAR-10 class names"))
            }
        }

        var batches: [CIFAR10Batch] = []
        var batchStarts: [Int] = []
        var items: [GalleryItem] = []
        for stem in CIFAR10Layout.batchStems {
            let path = joinPath(directory, CIFAR10Layout.fileName(stem, format))
            guard FileManager.default.fileExists(atPath: path) else { continue }  // a missing batch is just absent
            do throws(CIFAR10BatchProblem) {
                let batch = format == .binary
                    ? try CIFAR10Layout.readBinary(path: path, stem: stem, classCount: classNames.count)
                    : try CIFAR10Layout.readPython(path: path, stem: stem, classCount: classNames.count)
                batchStarts.append(items.count)
                batches.append(batch)
                items.reserveCapacity(items.count + batch.labels.count)
                for (index, label) in batch.labels.enumerated() {
                    items.append(GalleryItem(id: "\(stem)/\(index)", labels: [label], split: batch.split))
                }
            } catch {
                problems.append(GalleryProblem(source: path, message: error.message))
            }
        }
        guard !batches.isEmpty else {
            let batchProblems = problems.filter { $0.source != metaPath }
            guard let first = batchProblems.first else {
                throw GalleryError(source: directory, message: "no CIFAR-10 batch file (data_batch_1 .. data_batch_5, test_batch)")
            }
            let others = batchProblems.count > 1 ? " (and \(batchProblems.count - 1) more unreadable batch files)" : ""
            throw GalleryError(source: first.source, message: first.message + others)
        }
        self.classNames = classNames
        self.items = items
        self.problems = problems
        self.batches = batches
        self.batchStarts = batchStarts
    }

    public func image(at index: Int) throws -> RGBImage {
        precondition(items.indices.contains(index), "gallery item \(index) out of range 0..<\(items.count)")
        var batch = batchStarts.count - 1
        while batchStarts[batch] > index { batch -= 1 }
        return try batches[batch].image(record: index - batchStarts[batch])
    }

    /// The folder holding the batches and their format. Tried in order: DIR itself (binary,
    /// then python), DIR/cifar-10-batches-bin, DIR/cifar-10-batches-py.
    static func locate(_ path: String) throws(GalleryError) -> (String, CIFAR10Layout.Format) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw GalleryError(source: path, message: "no such folder")
        }
        guard isDirectory.boolValue else {
            throw GalleryError(source: path, message: "not a folder: cifar10:DIR takes the folder that holds the batch files")
        }
        let candidates: [(String, CIFAR10Layout.Format)] = [
            (path, .binary), (path, .python),
            (joinPath(path, "cifar-10-batches-bin"), .binary),
            (joinPath(path, "cifar-10-batches-py"), .python),
        ]
        for (folder, format) in candidates {
            let found = CIFAR10Layout.batchStems.contains { stem in
                FileManager.default.fileExists(atPath: joinPath(folder, CIFAR10Layout.fileName(stem, format)))
            }
            if found { return (folder, format) }
        }
        throw GalleryError(source: path, message: "no CIFAR-10 batches: expected data_batch_1 .. data_batch_5 and test_batch, as .bin files (cifar-10-batches-bin) or python pickles (cifar-10-batches-py), here or in a cifar-10-batches-bin/ or cifar-10-batches-py/ folder inside")
    }
}
