import Basics

/// Which part of a dataset an item belongs to, as the dataset itself says.
public enum Split: String, Sendable, CaseIterable, Codable {
    case train, test, none
}

/// One image of a gallery: a stable id (the same every time the gallery is opened), its
/// labels as class indices (one for single-label sets, any number for multi-hot sets) and
/// its split. Pixels are not part of the item: `Gallery.image(at:)` loads them on demand.
public struct GalleryItem: Sendable, Equatable {
    public let id: String
    public let labels: [Int]
    public let split: Split

    public init(id: String, labels: [Int], split: Split) {
        self.id = id
        self.labels = labels
        self.split = split
    }
}

/// Something wrong with part of a gallery found while opening it (a batch file of the wrong
/// length, a bad line in a list file). The rest of the gallery still opens; the items the
/// problem concerns are left out.
public struct GalleryProblem: Sendable, Equatable, CustomStringConvertible {
    public let source: String  // a file, or file:line
    public let message: String

    public init(source: String, message: String) {
        self.source = source
        self.message = message
    }

    public var description: String { "\(source): \(message)" }
}

/// A labelled image collection behind a `kind:path` spec. Implementations are immutable
/// after opening (any lazily loaded state is internally synchronised), so one gallery can
/// be read from several threads.
public protocol Gallery: Sendable {
    var spec: GallerySpec { get }
    var classNames: [String] { get }
    var items: [GalleryItem] { get }
    /// True when items may carry several labels (list files); relevance is then
    /// "shares at least one label".
    var isMultiLabel: Bool { get }
    /// Problems met while opening; empty when every part of the gallery was readable.
    var problems: [GalleryProblem] { get }

    /// Decodes item `index`'s pixels.
    func image(at index: Int) throws -> RGBImage
    /// The size of every image when the format fixes it (CIFAR 32x32, IDX 28x28), else nil.
    var fixedImageSize: (width: Int, height: Int)? { get }
    /// A problem with item `index` that shows without decoding (a missing or empty file),
    /// or nil. Cheap: no pixel data is read.
    func quickProblem(at index: Int) -> String?
}

extension Gallery {
    public var count: Int { items.count }
    public var fixedImageSize: (width: Int, height: Int)? { nil }
    public func quickProblem(at index: Int) -> String? { nil }

    /// Items per class, in class order.
    public func classCounts() -> [Int] {
        var counts = [Int](repeating: 0, count: classNames.count)
        for item in items {
            for label in item.labels where label < counts.count { counts[label] += 1 }
        }
        return counts
    }

    /// Labels as people read them: "cat", "cat+dog" for several, "-" for none.
    public func labelText(_ labels: [Int]) -> String { GalleryLabels.text(labels, classNames: classNames) }

    public func splitCounts() -> [Split: Int] {
        var counts: [Split: Int] = [:]
        for item in items { counts[item.split, default: 0] += 1 }
        return counts
    }
}

/// The one way labels are written, for galleries and for index files that carry their own class
/// names: "cat", "cat+dog" for several, "-" for none, a number for an unnamed class.
public enum GalleryLabels {
    public static func text(_ labels: [Int], classNames: [String]) -> String {
        labels.isEmpty ? "-" : labels.map { $0 >= 0 && $0 < classNames.count ? classNames[$0] : String($0) }.joined(separator: "+")
    }
}
