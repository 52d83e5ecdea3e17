import Retrieval

/// `data info --json`: what a gallery holds and which items cannot be read.
struct DataInfoJSON: JSONReport {
    struct ClassCount: Codable { let name: String; let count: Int }
    struct ImageSizes: Codable {
        struct Size: Codable { let width: Int; let height: Int; let count: Int }
        let min_width: Int, max_width: Int, min_height: Int, max_height: Int
        let distinct: [Size]
    }

    let gallery: String
    let count: Int
    let classes: [ClassCount]
    let splits: [String: Int]
    let multi_label: Bool
    /// Whether every image was decoded (--check).
    let checked: Bool
    let unreadable: Int
    let unreadable_items: [String]
    let problems: [String]
    /// nil when the format gives no sizes without decoding.
    @NullWhenAbsent var image_sizes: ImageSizes?

    init(_ info: GalleryInspection) {
        gallery = info.spec.description
        count = info.count
        classes = zip(info.classNames, info.classCounts).map { ClassCount(name: $0, count: $1) }
        splits = Dictionary(uniqueKeysWithValues: info.splitCounts.map { ($0.key.rawValue, $0.value) })
        multi_label = info.isMultiLabel
        checked = info.decoded
        unreadable = info.unreadable.count
        unreadable_items = info.unreadable.map(\.message)
        problems = info.problems.map(\.description)
        if let sizes = info.sizes, !sizes.isEmpty {
            image_sizes = ImageSizes(min_width: sizes.keys.map(\.width).min()!, max_width: sizes.keys.map(\.width).max()!,
                                     min_height: sizes.keys.map(\.height).min()!, max_height: sizes.keys.map(\.height).max()!,
                                     distinct: sizes.sorted { $0.key < $1.key }.map { .init(width: $0.key.width, height: $0.key.height, count: $0.value) })
        } else {
            image_sizes = nil
        }
    }
}
