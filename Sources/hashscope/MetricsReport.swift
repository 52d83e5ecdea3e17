import Foundation
import Retrieval

/// `metrics` output: a table for people, JSON for scripts (keys as issue 3 fixes them:
/// "map", "topk", "queries", "p_at", "p_r2", "r_r2"; the rest are extras).
enum MetricsReport {
    static func table(_ metrics: RetrievalMetrics) -> String {
        func number(_ value: Double) -> String { String(format: "%.4f", value) }
        let all = metrics.topK == metrics.databaseCount
        var lines = [
            "queries      \(metrics.queries)",
            "database     \(metrics.databaseCount)",
            "bits         \(metrics.bits)",
            "labels       \(metrics.isMultiLabel ? "multi-hot (relevant: shares a label)" : "class ids (relevant: same class)")",
            "mAP@\(all ? "all" : String(metrics.topK))".padding(toLength: 13, withPad: " ", startingAt: 0) + number(metrics.meanAveragePrecision),
            "",
            "k            P@k      R@k",
        ]
        for (i, k) in metrics.cutoffs.enumerated() {
            lines.append(String(k).padding(toLength: 13, withPad: " ", startingAt: 0) + number(metrics.precisionAt[i]) + "   " + number(metrics.recallAt[i]))
        }
        lines.append("radius <= 2  " + number(metrics.precision(withinRadius: 2)) + "   " + number(metrics.recall(withinRadius: 2)))
        return lines.joined(separator: "\n")
    }

    /// `extra`: keys added beside the metrics (`eval`'s "protocol", "encode_images_per_second").
    static func json(_ metrics: RetrievalMetrics, extra: [String: Any] = [:]) -> String {
        func byK(_ values: [Double]) -> [String: Double] {
            Dictionary(uniqueKeysWithValues: zip(metrics.cutoffs.map(String.init), values))
        }
        var object: [String: Any] = [
            "map": metrics.meanAveragePrecision,
            "topk": metrics.topK,
            "queries": metrics.queries,
            "database": metrics.databaseCount,
            "bits": metrics.bits,
            "multi_label": metrics.isMultiLabel,
            "p_at": byK(metrics.precisionAt),
            "r_at": byK(metrics.recallAt),
            "p_r2": metrics.precision(withinRadius: 2),
            "r_r2": metrics.recall(withinRadius: 2),
            "pr_curve": [
                "radius": Array(0...metrics.bits),
                "precision": metrics.precisionByRadius,
                "recall": metrics.recallByRadius,
            ] as [String: Any],
        ]
        object.merge(extra) { _, added in added }
        // Only numbers, strings and containers of them: serialization cannot fail.
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
