import Foundation
import Synchronization
import Basics

/// What `hashscope data info` reports about a gallery: counts, sizes and what cannot be read.
public struct GalleryInspection: Sendable {
    public struct ImageSize: Hashable, Sendable, Comparable {
        public let width: Int
        public let height: Int
        public init(width: Int, height: Int) {
            self.width = width
            self.height = height
        }
        public static func < (a: Self, b: Self) -> Bool { (a.width, a.height) < (b.width, b.height) }
    }

    public struct Unreadable: Sendable, Equatable {
        public let index: Int
        public let message: String  // one line, naming the file
    }

    public let spec: GallerySpec
    public let count: Int
    public let classNames: [String]
    public let classCounts: [Int]
    public let splitCounts: [Split: Int]
    public let isMultiLabel: Bool
    /// How many images have each size; nil when sizes were not read (no --check, no fixed size).
    public let sizes: [ImageSize: Int]?
    /// True when every image was decoded.
    public let decoded: Bool
    public let unreadable: [Unreadable]
    public let problems: [GalleryProblem]

    public var isComplete: Bool { unreadable.isEmpty && problems.isEmpty }

    /// Inspects `gallery`. With `decode`, every image is decoded, on all cores; otherwise
    /// only what the format gives cheaply is read (a stat per file).
    /// `progress(done, total)` is called from worker threads now and then.
    public static func inspect(_ gallery: any Gallery, decode: Bool,
                               progress: (@Sendable (Int, Int) -> Void)? = nil) -> GalleryInspection {
        let total = gallery.count
        let done = Atomic<Int>(0)
        let chunkSize = max(64, min(4096, total / (ProcessInfo.processInfo.activeProcessorCount * 16)))
        let chunkCount = (total + chunkSize - 1) / chunkSize
        let findings = ConcurrentSlots<(sizes: [ImageSize: Int], unreadable: [Unreadable])>(count: chunkCount)
        let fixed = gallery.fixedImageSize.map { ImageSize(width: $0.width, height: $0.height) }
        DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
            var sizes: [ImageSize: Int] = [:]
            var unreadable: [Unreadable] = []
            for index in chunk * chunkSize..<min(total, (chunk + 1) * chunkSize) {
                if decode {
                    do {
                        let image = try gallery.image(at: index)
                        sizes[ImageSize(width: image.width, height: image.height), default: 0] += 1
                    } catch {
                        unreadable.append(Unreadable(index: index, message: Self.describe(error, item: gallery.items[index])))
                    }
                } else if let problem = gallery.quickProblem(at: index) {
                    unreadable.append(Unreadable(index: index, message: problem))
                } else if let fixed {
                    sizes[fixed, default: 0] += 1
                }
            }
            findings.store((sizes, unreadable), at: chunk)
            let items = min(total, (chunk + 1) * chunkSize) - chunk * chunkSize
            progress?(done.add(items, ordering: .relaxed).newValue, total)
        }
        var sizes: [ImageSize: Int] = [:]
        var unreadable: [Unreadable] = []
        for chunk in findings.values {
            sizes.merge(chunk.sizes, uniquingKeysWith: +)
            unreadable += chunk.unreadable
        }
        return GalleryInspection(
            spec: gallery.spec, count: total, classNames: gallery.classNames,
            classCounts: gallery.classCounts(), splitCounts: gallery.splitCounts(),
            isMultiLabel: gallery.isMultiLabel,
            sizes: decode || fixed != nil ? sizes : nil,
            decoded: decode,
            unreadable: unreadable.sorted { $0.index < $1.index },
            problems: gallery.problems)
    }

    /// One line naming the item: the error's own text when it names its source, else the id.
    static func describe(_ error: any Error, item: GalleryItem) -> String {
        let text = (error as? LocalizedError)?.errorDescription ?? String(describing: error)
        return error is ImageError || error is GalleryError || error is FileBytes.ReadError ? text : "\(item.id): \(text)"
    }
}
