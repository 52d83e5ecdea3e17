import Foundation
import Basics

/// `fashion-mnist:DIR`, the IDX files train-{images-idx3,labels-idx1}-ubyte and
/// t10k-..., gzipped or plain; DIR may also be torchvision's root (DIR/FashionMNIST/raw).
/// With no DIR, the Debian package dataset-fashion-mnist's copy.
public struct FashionMNISTGallery: Gallery {
    public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"
    public static let classNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

    public let spec: GallerySpec
    public var classNames: [String] { Self.classNames }
    public let items: [GalleryItem]
    public let problems: [GalleryProblem]
    public var isMultiLabel: Bool { false }
    public let fixedImageSize: (width: Int, height: Int)?
    /// Per item: which split's pixel file, and the image's index in it.
    private let locations: [(part: Int, index: Int)]
    private let parts: [LazyPixels]

    public init(spec: GallerySpec) throws(GalleryError) {
        self.spec = spec
        var directory = spec.path.isEmpty ? Self.defaultDirectory : spec.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            let hint = spec.path.isEmpty ? " (install the Debian package dataset-fashion-mnist, or give fashion-mnist:DIR)" : ""
            throw GalleryError(source: directory, message: "no such folder\(hint)")
        }
        let torchvisionRaw = joinPath(directory, "FashionMNIST/raw")
        if FileManager.default.fileExists(atPath: torchvisionRaw) { directory = torchvisionRaw }

        var items: [GalleryItem] = []
        var locations: [(part: Int, index: Int)] = []
        var parts: [LazyPixels] = []
        var problems: [GalleryProblem] = []
        var size: (width: Int, height: Int)?
        for (split, prefix) in [(Split.train, "train"), (Split.test, "t10k")] {
            guard let imagesPath = Self.find(directory, "\(prefix)-images-idx3-ubyte"),
                  let labelsPath = Self.find(directory, "\(prefix)-labels-idx1-ubyte") else { continue }
            do throws(GalleryError) {
                let images = try IDXFile(path: imagesPath, expectedDimensions: 3)
                let labelFile = try IDXFile(path: labelsPath, expectedDimensions: 1)
                guard images.dimensions[0] == labelFile.dimensions[0] else {
                    throw GalleryError(source: labelsPath, message: "\(labelFile.dimensions[0]) labels for \(images.dimensions[0]) images in \(imagesPath)")
                }
                let imageSize = (width: images.dimensions[2], height: images.dimensions[1])
                if let size, size != imageSize {
                    throw GalleryError(source: imagesPath, message: "images are \(imageSize.width)x\(imageSize.height), the other split's are \(size.width)x\(size.height)")
                }
                let labels = try labelFile.readData()
                size = imageSize
                let part = parts.count
                parts.append(LazyPixels(file: images))
                for (index, label) in labels.enumerated() {
                    guard Int(label) < Self.classNames.count else {
                        problems.append(GalleryProblem(source: labelsPath, message: "label \(label) of item \(index) is not a class (0...9); item left out"))
                        continue
                    }
                    items.append(GalleryItem(id: "\(split.rawValue)/\(index)", labels: [Int(label)], split: split))
                    locations.append((part, index))
                }
            } catch {
                problems.append(GalleryProblem(source: error.source, message: error.message))
            }
        }
        guard !items.isEmpty else {
            if let first = problems.first { throw GalleryError(source: first.source, message: first.message) }
            throw GalleryError(source: directory, message: "no Fashion-MNIST IDX files: expected train-images-idx3-ubyte(.gz) and train-labels-idx1-ubyte(.gz), or t10k-...")
        }
        self.items = items
        self.locations = locations
        self.parts = parts
        self.problems = problems
        self.fixedImageSize = size
    }

    public func image(at index: Int) throws -> RGBImage {
        let location = locations[index]
        let part = parts[location.part]
        let pixels = try part.pixels()
        let dims = part.file.dimensions
        let plane = dims[1] * dims[2]
        let start = location.index * plane
        return RGBImage(width: dims[2], height: dims[1], grey: pixels[start..<start + plane])
    }

    private static func find(_ directory: String, _ stem: String) -> String? {
        for name in [stem + ".gz", stem] {
            let path = joinPath(directory, name)
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        return nil
    }
}

/// An IDX image file decompressed on first use and kept: a gzip stream cannot be read at
/// an offset, and 47 MB is cheap next to decompressing once per image.
private final class LazyPixels: @unchecked Sendable {
    let file: IDXFile
    private let lock = NSLock()
    private var loaded: Result<[UInt8], GalleryError>?

    init(file: IDXFile) { self.file = file }

    func pixels() throws(GalleryError) -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        if loaded == nil {
            do throws(GalleryError) { loaded = .success(try file.readData()) } catch { loaded = .failure(error) }
        }
        return try loaded!.get()
    }
}
