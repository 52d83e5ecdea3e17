import Retrieval

/// `metrics --json`, and the metrics part of `eval --json`: the field's figures at the top level
/// ("map", "topk", "queries", "database", "bits", "multi_label", "p_at" and "r_at" by k, "p_r2",
/// "r_r2" within Hamming radius 2, the precision-recall curve over radius), and under
/// "tie_aware" the same keys as expectations over every order of tied items.
struct MetricsJSON: JSONReport, Equatable {
    let figures: RankingFiguresJSON
    let tie_aware: RankingFiguresJSON?

    init(_ metrics: RetrievalMetrics) {
        figures = RankingFiguresJSON(metrics, map: metrics.meanAveragePrecision, precisionAt: metrics.precisionAt,
                                     recallAt: metrics.recallAt)
        tie_aware = metrics.tieAware.map {
            RankingFiguresJSON(metrics, map: $0.meanAveragePrecision, precisionAt: $0.precisionAt, recallAt: $0.recallAt)
        }
    }

    private enum CodingKeys: String, CodingKey { case tie_aware }

    // One flat object: the figures' keys and "tie_aware" side by side.
    init(from decoder: any Decoder) throws {
        figures = try RankingFiguresJSON(from: decoder)
        tie_aware = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(RankingFiguresJSON.self, forKey: .tie_aware)
    }

    func encode(to encoder: any Encoder) throws {
        try figures.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(tie_aware, forKey: .tie_aware)
    }
}

/// One set of ranking figures (see `MetricsJSON`).
struct RankingFiguresJSON: Codable, Equatable {
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

    /// `metrics`' figures with mAP, P@k and R@k as given (the field's, or the tie-aware ones; the
    /// radius figures are the same for both).
    init(_ metrics: RetrievalMetrics, map: Double, precisionAt: [Double], recallAt: [Double]) {
        func byK(_ values: [Double]) -> [String: Double] {
            Dictionary(uniqueKeysWithValues: zip(metrics.cutoffs.map(String.init), values))
        }
        self.map = map
        topk = metrics.topK
        queries = metrics.queries
        database = metrics.databaseCount
        bits = metrics.bits
        multi_label = metrics.isMultiLabel
        p_at = byK(precisionAt)
        r_at = byK(recallAt)
        p_r2 = metrics.precision(withinRadius: 2)
        r_r2 = metrics.recall(withinRadius: 2)
        pr_curve = PRCurve(radius: Array(0...metrics.bits), precision: metrics.precisionByRadius, recall: metrics.recallByRadius)
    }
}
