import Retrieval

/// `metrics --json`, and the metrics part of `eval --json`: "map", "topk", "queries",
/// "database", "bits", "multi_label", "p_at" and "r_at" (by k), "p_r2", "r_r2" (within Hamming
/// radius 2) and the precision-recall curve over radius.
struct MetricsJSON: JSONReport, Equatable {
    struct PRCurve: Codable, Equatable {
        let radius: [Int]
        let precision: [Double]
        let recall: [Double]
    }

    let map: Double
    let topk: Int
    let queries: Int
    let database: Int
    let bits: Int
    let multi_label: Bool
    let p_at: [String: Double]
    let r_at: [String: Double]
    let p_r2: Double
    let r_r2: Double
    let pr_curve: PRCurve

    init(_ metrics: RetrievalMetrics) {
        func byK(_ values: [Double]) -> [String: Double] {
            Dictionary(uniqueKeysWithValues: zip(metrics.cutoffs.map(String.init), values))
        }
        map = metrics.meanAveragePrecision
        topk = metrics.topK
        queries = metrics.queries
        database = metrics.databaseCount
        bits = metrics.bits
        multi_label = metrics.isMultiLabel
        p_at = byK(metrics.precisionAt)
        r_at = byK(metrics.recallAt)
        p_r2 = metrics.precision(withinRadius: 2)
        r_r2 = metrics.recall(withinRadius: 2)
        pr_curve = PRCurve(radius: Array(0...metrics.bits), precision: metrics.precisionByRadius, recall: metrics.recallByRadius)
    }
}
