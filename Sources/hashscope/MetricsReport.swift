import Foundation
import Retrieval

/// `metrics` output for people: a table (scripts read `MetricsJSON`). The field's figures break
/// ties by database index; the tie-aware ones beside them are expectations over every order of
/// the tied items.
enum MetricsReport {
    static func table(_ metrics: RetrievalMetrics) -> String {
        func number(_ value: Double) -> String { String(format: "%.4f", value) }
        let all = metrics.topK == metrics.databaseCount
        var lines = [
            "queries      \(metrics.queries)",
            "database     \(metrics.databaseCount)",
            "bits         \(metrics.bits)",
            "labels       \(metrics.isMultiLabel ? "multi-hot (relevant: shares a label)" : "class ids (relevant: same class)")",
            "mAP@\(all ? "all" : String(metrics.topK))".padding(toLength: 13, withPad: " ", startingAt: 0) + number(metrics.meanAveragePrecision)
                + (metrics.tieAware.map { "   tie-aware " + number($0.meanAveragePrecision) } ?? ""),
            "",
            "k            P@k      R@k" + (metrics.tieAware == nil ? "" : "      tie-aware P@k  R@k"),
        ]
        for (i, k) in metrics.cutoffs.enumerated() {
            lines.append(String(k).padding(toLength: 13, withPad: " ", startingAt: 0) + number(metrics.precisionAt[i]) + "   " + number(metrics.recallAt[i])
                         + (metrics.tieAware.map { "   " + number($0.precisionAt[i]) + "         " + number($0.recallAt[i]) } ?? ""))
        }
        lines.append("radius <= 2  " + number(metrics.precision(withinRadius: 2)) + "   " + number(metrics.recall(withinRadius: 2)))
        return lines.joined(separator: "\n")
    }
}
