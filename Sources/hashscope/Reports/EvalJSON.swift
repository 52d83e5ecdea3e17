/// `eval --json` (exact Hamming search): the keys of `metrics --json` at the top level, plus what
/// was evaluated and how the codes were made.
struct EvalJSON: JSONReport {
    let metrics: MetricsJSON
    let run: Run

    struct Run: Codable {
        let `protocol`: String
        let model: String
        let dataset: String
        /// nil when every code came from the cache.
        @NullWhenAbsent var encode_images_per_second: Double?
        let cached: Bool
        /// "images" or "cached backbone features".
        let encoded_from: String
    }

    init(metrics: MetricsJSON, run: Run) {
        self.metrics = metrics
        self.run = run
    }

    // One flat object: the metrics' keys and the run's side by side.
    init(from decoder: any Decoder) throws {
        metrics = try MetricsJSON(from: decoder)
        run = try Run(from: decoder)
    }

    func encode(to encoder: any Encoder) throws {
        try metrics.encode(to: encoder)
        try run.encode(to: encoder)
    }
}

/// `eval --search lsh --json`: the keys of `eval --json` that mean the same here (no
/// Hamming-radius ones) and the LSH tables' own.
struct LSHEvalJSON: JSONReport {
    let search: String
    let map: Double
    let topk: Int
    let queries: Int
    let database: Int
    let bits: Int
    let multi_label: Bool
    let p_at: [String: Double]
    let r_at: [String: Double]
    let tables: Int
    let table_bits: Int
    let probes: Int
    let candidates_per_query: Double
    let candidate_precision: Double
    let candidate_recall: Double
    let query_ms: Double
    let build_seconds: Double
    let `protocol`: String
    let model: String
    let dataset: String
    let encode_images_per_second: Double
    let cached: Bool
}
