import Foundation
import Retrieval

/// `data info` output: a table for people, JSON for scripts.
enum GalleryInspectionReport {
    static func table(_ info: GalleryInspection) -> String {
        var lines: [String] = []
        lines.append("gallery     \(info.spec)")
        lines.append("items       \(info.count)")
        let splits = Split.allCases.compactMap { split in info.splitCounts[split].map { "\(split.rawValue) \($0)" } }
        lines.append("splits      \(splits.joined(separator: ", "))")
        lines.append("classes     \(info.classNames.count) (\(info.isMultiLabel ? "multi-label: items may count in several" : "single label"))")
        // A table is for reading: beyond a screenful of classes, say how many more there are.
        let shown = 40
        let width = min(24, info.classNames.prefix(shown).map(\.count).max() ?? 0)
        for (name, count) in zip(info.classNames, info.classCounts).prefix(shown) {
            lines.append("  " + name.padding(toLength: max(width, name.count), withPad: " ", startingAt: 0) + "  " + String(count))
        }
        if info.classNames.count > shown {
            lines.append("  ... \(info.classNames.count - shown) more classes (--json lists every one)")
        }
        lines.append("image size  " + sizeSummary(info))
        let how = info.decoded ? "every image decoded" : "files checked, not decoded; --check decodes every image"
        lines.append("unreadable  \(info.unreadable.count) (\(how))")
        if !info.problems.isEmpty {
            lines.append("problems    \(info.problems.count) (see stderr)")
        }
        return lines.joined(separator: "\n")
    }

    private static func sizeSummary(_ info: GalleryInspection) -> String {
        guard let sizes = info.sizes else { return "not read (--check decodes every image)" }
        guard !sizes.isEmpty else { return "none readable" }
        let common = sizes.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        if common.count == 1 { return "\(common[0].key.width)x\(common[0].key.height) (all)" }
        let widths = sizes.keys.map(\.width), heights = sizes.keys.map(\.height)
        let shown = common.prefix(4).map { "\($0.key.width)x\($0.key.height): \($0.value)" }.joined(separator: ", ")
        return "width \(widths.min()!)-\(widths.max()!), height \(heights.min()!)-\(heights.max()!); "
            + "\(common.count) sizes, \(shown)\(common.count > 4 ? ", ..." : "")"
    }

    static func json(_ info: GalleryInspection) -> String { DataInfoJSON(info).jsonText }
}
