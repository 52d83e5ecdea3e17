/// `bench tui --json`: key-to-screen latency of the explorer, headless.
struct BenchTUIJSON: JSONReport {
    let model: String
    /// The second model of the two-model view, when timed with it.
    @NullWhenAbsent var compare: String?
    let gallery: String
    let columns: Int
    let rows: Int
    let color_mode: String
    let keys: Int
    let p50_ms: Double
    let p95_ms: Double
    let max_ms: Double
    let mean_ms: Double
    let encode_p50_ms: Double
    let search_p50_ms: Double
    let database: Int
}
