import Foundation
import Networks
import Basics
import Retrieval

/// A gallery divided by an evaluation protocol, in the terms the networks and the metrics want:
/// the glue between Retrieval's galleries and Networks' loaders and losses.
public struct ProtocolData: Sendable {
    public let gallery: any Gallery
    public let evaluationProtocol: EvaluationProtocol
    public let split: ProtocolSplit
    /// The spec as given.
    public let spec: String

    /// Opens `spec` and splits it by `protocolName`; every failure is one line.
    public init(spec: String, protocolName: String, seed: UInt64) throws {
        let evaluationProtocol = try EvaluationProtocol(parsing: protocolName)
        let gallery = try GalleryOpener.open(spec)
        self.gallery = gallery
        self.evaluationProtocol = evaluationProtocol
        split = try evaluationProtocol.split(gallery, seed: seed)
        self.spec = spec
    }

    private init(gallery: any Gallery, evaluationProtocol: EvaluationProtocol, split: ProtocolSplit, spec: String) {
        self.gallery = gallery
        self.evaluationProtocol = evaluationProtocol
        self.split = split
        self.spec = spec
    }

    /// The same gallery under another split of it (a monitor sample).
    public func replacingSplit(_ split: ProtocolSplit) -> ProtocolData {
        ProtocolData(gallery: gallery, evaluationProtocol: evaluationProtocol, split: split, spec: spec)
    }

    public var classNames: [String] { gallery.classNames }

    public var imageSource: ImageBatchLoader.ImageSource {
        let gallery = gallery
        return { try gallery.image(at: $0) }
    }

    /// A training batch's labels from its item indices.
    public var batchLabels: HashingTrainer.Labels {
        let items = gallery.items, classes = gallery.classNames.count
        if gallery.isMultiLabel {
            return { indices in
                var rows = Tensor.zeros([indices.count, classes])
                rows.withUnsafeMutableBufferPointer { r in
                    for (row, index) in indices.enumerated() {
                        for label in items[index].labels where label < classes { r[row * classes + label] = 1 }
                    }
                }
                return .multiHot(rows)
            }
        }
        return { indices in .classIDs(indices.map { items[$0].labels.first ?? 0 }) }
    }

    /// The metrics' labels of `indices`.
    public func labelSet(_ indices: [Int]) -> LabelSet {
        let items = gallery.items
        if gallery.isMultiLabel {
            return .multiHot(MultiHotLabels(count: indices.count, classes: max(1, gallery.classNames.count)) {
                items[indices[$0]].labels.contains($1)
            })
        }
        return .classIDs(indices.map { items[$0].labels.first ?? -1 })
    }
}
