/// The labels of one training batch, as the hashing losses read them: one class id per image
/// (CIFAR-10, Corel) or multi-hot rows (NUS-WIDE, COCO, DeepHash-pytorch list files).
///
/// Networks cannot import Retrieval, so this is its own small type; `similar` follows the same
/// definition as Retrieval's `Relevance` (docs/ARCHITECTURE.md, Definitions): two images are similar
/// when they share at least one label.
public enum BatchLabels: Sendable, Equatable {
    /// labels: (N,) class ids, each >= 0.
    case classIDs([Int])
    /// labels: (N, C) multi-hot rows; an entry > 0 means "has this label" (targets in [0, 1]
    /// for sigmoid cross-entropy; 0/1 in practice).
    case multiHot(Tensor)

    /// The number of images N.
    public var count: Int {
        switch self {
        case .classIDs(let ids): return ids.count
        case .multiHot(let rows):
            precondition(rows.rank == 2, "multi-hot labels must be (N, C), got \(rows.shape)")
            return rows.shape[0]
        }
    }

    /// The (N, N) similarity matrix, row-major: s[i * N + j] is true when images i and j share at
    /// least one label (for multi-hot rows: some column > 0 in both, DeepHash-pytorch's
    /// `y @ y.T > 0`). An image without labels is similar to nothing, not even itself.
    public func similarityMatrix() -> [Bool] {
        let n = count
        var similar = [Bool](repeating: false, count: n * n)
        switch self {
        case .classIDs(let ids):
            precondition(ids.allSatisfy { $0 >= 0 }, "class ids must be >= 0")
            for i in 0..<n {
                for j in 0..<n { similar[i * n + j] = ids[i] == ids[j] }
            }
        case .multiHot(let rows):
            let classes = rows.shape[1]
            rows.withUnsafeBufferPointer { y in
                for i in 0..<n {
                    for j in 0..<n {
                        var shared = false
                        for c in 0..<classes where y[i * classes + c] > 0 && y[j * classes + c] > 0 {
                            shared = true
                            break
                        }
                        similar[i * n + j] = shared
                    }
                }
            }
        }
        return similar
    }
}
