import Retrieval

/// `index info --json`: what an index file holds.
struct IndexInfoJSON: JSONReport {
    let file: String
    /// "hashscope" or "faiss".
    let kind: String
    /// True for a hashscope file, whose checksum was verified on reading; faiss files carry none.
    let checksum_verified: Bool
    let codes: Int
    let bits: Int
    let labelled: Int
    let classes: [String]
    let multi_label: Bool
    /// Floats per item, or nil when the file holds no features.
    @NullWhenAbsent var feature_dimension: Int?
    let gallery: String
    let model_fingerprint: String
    let source: String
    /// Bit balance, correlation and identical-code groups; nil for an empty file.
    @NullWhenAbsent var health: Health?

    struct Health: Codable, Sendable {
        let ones_fraction: [Double]
        @NullWhenAbsent var mean_abs_correlation: Double?
        let distinct_codes: Int
        let largest_groups: [Int]

        init(_ health: CodeHealth) {
            ones_fraction = health.onesFraction
            mean_abs_correlation = health.meanAbsoluteCorrelation
            distinct_codes = health.distinctCodes
            largest_groups = health.largestGroups
        }
    }
}
