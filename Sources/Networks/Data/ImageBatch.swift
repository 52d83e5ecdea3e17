import Foundation

/// One batch of network input: the images as (N,3,H,W) and, per sample, the item index it
/// came from (so the caller can look up labels in its gallery).
public struct ImageBatch: Sendable {
    public let images: Tensor
    public let indices: [Int]

    public init(images: Tensor, indices: [Int]) {
        precondition(images.rank == 4 && images.shape[0] == indices.count, "one index per image")
        self.images = images
        self.indices = indices
    }

    public var count: Int { indices.count }
}

/// An item whose image could not be loaded, and why (the loader's error, one line).
public struct SkippedImage: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let message: String

    public init(index: Int, message: String) {
        self.index = index
        self.message = message
    }

    public var description: String { "item \(index): \(message)" }
}

/// An unreadable item met by a `strict` loader.
public struct ImageLoadingError: Error, LocalizedError, Sendable, Equatable {
    public let index: Int
    public let message: String

    public init(index: Int, message: String) {
        self.index = index
        self.message = message
    }

    public var errorDescription: String? { "item \(index): \(message)" }
}
