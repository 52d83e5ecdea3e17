import Foundation

/// Code health as text lines, shared by the explorer's `i` panel and `hashscope index info`, so
/// both print the same figures the same way.
public enum CodeHealthText {
    /// "2000 codes x 48 bits, 471 distinct" and "largest identical-code groups 171, 104, 90".
    public static func summary(count: Int, bits: Int, distinct: Int, largestGroups: [Int]) -> [String] {
        ["\(count) codes x \(bits) bits, \(distinct) distinct",
         "largest identical-code groups " + largestGroups.map(String.init).joined(separator: ", ")]
    }

    /// "bit balance (share of ones) min 0.120 mean 0.498 max 0.880".
    public static func balance(_ onesFraction: [Double]) -> String {
        let mean = onesFraction.reduce(0, +) / Double(max(1, onesFraction.count))
        return String(format: "bit balance (share of ones) min %.3f mean %.3f max %.3f",
                      onesFraction.min() ?? 0, mean, onesFraction.max() ?? 0)
    }

    /// "mean |correlation| between bits 0.123" ("n/a" with fewer than two varying bits).
    public static func correlation(_ value: Double?) -> String {
        "mean |correlation| between bits " + (value.map { String(format: "%.3f", $0) } ?? "n/a")
    }

    /// One block character per bit, its height the share of ones (a half-height bar is 0.5).
    public static func balanceBars(_ onesFraction: [Double]) -> String {
        let levels: [Unicode.Scalar] = [" ", "\u{2581}", "\u{2582}", "\u{2583}", "\u{2584}", "\u{2585}", "\u{2586}", "\u{2587}", "\u{2588}"]
        var text = String.UnicodeScalarView()
        for f in onesFraction { text.append(levels[Int((min(1, max(0, f)) * 8).rounded())]) }
        return String(text)
    }
}
