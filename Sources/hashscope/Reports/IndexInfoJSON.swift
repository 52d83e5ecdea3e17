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
}
