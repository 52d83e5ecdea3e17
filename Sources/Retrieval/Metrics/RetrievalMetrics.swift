/// Retrieval metrics of a query set against a database, as the field computes them (docs/ARCHITECTURE.md,
/// Definitions). Every per-query value is averaged over ALL queries, and every query
/// ranks the whole database by Hamming distance with ties broken by database index
/// (`HammingRanking`). "Relevant" is `Relevance` (shares at least one label).
///
/// - mAP@k follows DeepHash-pytorch's `CalcTopMap` (swuxyj/DeepHash-pytorch, utils/tools.py):
///   over the first k ranked items, AP = mean over the relevant hits of j / position, where j
///   is the hit's rank among the hits and position its rank in the list (both from 1); a query
///   with no relevant hit in its top k contributes 0; the sum is divided by the number of
///   queries. k is the database size when not given, and a larger k means the same (the slice
///   `gnd[0:topk]` stops at the end). CalcTopMap ranks with `np.argsort`'s default quicksort,
///   which does not keep ties in index order; ties here go by index, as
///   `np.argsort(kind='stable')` does, so tied codes never change the result by chance.
/// - P@k and R@k follow DeepHash-pytorch's `pr_curve` (utils/tools.py, the version with
///   `draw_range`): hits = relevant items among the first k; P@k = hits / k; R@k = hits /
///   (relevant items in the whole database); a query with no relevant item in the database
///   counts 0 for both. For k larger than the database the hits are those of the whole
///   database and P@k still divides by k (pr_curve's `gnd_r / k`), so P@1000 of a 300-item
///   database is at most 0.3.
/// - Precision and recall within Hamming radius r (P@r<=2, R@r<=2, and the PR curve over
///   r = 0...bits) follow thulab/DeepHash's `get_precision_recall_by_Hamming_Radius` and
///   `..._All` (DeepHash/evaluation/__init__.py): the retrieved set is every item at distance
///   <= r; precision = relevant retrieved / retrieved, and a query that retrieves nothing counts
///   precision 0 and recall 0 (the common convention: thulab appends 0.0 for both, and the
///   MATLAB eval_HammingRadius2HashLookup sets ham_pre = 0); recall = relevant retrieved /
///   relevant in the database, 0 for a query with no relevant item at all (thulab divides by
///   zero there).
public struct RetrievalMetrics: Sendable, Equatable {
    /// The P@k / R@k cutoffs reported unless others are asked for.
    public static let standardCutoffs = [10, 100, 1000]

    public let queries: Int
    public let databaseCount: Int
    public let bits: Int
    public let isMultiLabel: Bool
    /// The k of mAP@k: the one asked for, or the database size when none was or it was larger.
    public let topK: Int
    public let meanAveragePrecision: Double
    /// The k of P@k and R@k, ascending, distinct.
    public let cutoffs: [Int]
    public let precisionAt: [Double]
    public let recallAt: [Double]
    /// Index r: precision (recall) within Hamming radius r, r = 0...bits.
    public let precisionByRadius: [Double]
    public let recallByRadius: [Double]
    /// The same mAP@k, P@k and R@k as expectations over every order of tied items
    /// (`TieAwareRanking`), beside the field's index-order values above; the radius metrics
    /// need none (a radius never splits a distance). Nil where not computed.
    public let tieAware: TieAware?

    /// Tie-aware mAP@k, P@k and R@k (same k and cutoffs as the metrics they stand beside).
    public struct TieAware: Sendable, Equatable {
        public let meanAveragePrecision: Double
        public let precisionAt: [Double]
        public let recallAt: [Double]

        public init(meanAveragePrecision: Double, precisionAt: [Double], recallAt: [Double]) {
            self.meanAveragePrecision = meanAveragePrecision
            self.precisionAt = precisionAt
            self.recallAt = recallAt
        }
    }

    public init(queries: Int, databaseCount: Int, bits: Int, isMultiLabel: Bool, topK: Int,
                meanAveragePrecision: Double, cutoffs: [Int], precisionAt: [Double], recallAt: [Double],
                precisionByRadius: [Double], recallByRadius: [Double], tieAware: TieAware? = nil) {
        precondition(precisionAt.count == cutoffs.count && recallAt.count == cutoffs.count)
        precondition(precisionByRadius.count == bits + 1 && recallByRadius.count == bits + 1)
        self.queries = queries
        self.databaseCount = databaseCount
        self.bits = bits
        self.isMultiLabel = isMultiLabel
        self.topK = topK
        self.meanAveragePrecision = meanAveragePrecision
        self.cutoffs = cutoffs
        self.precisionAt = precisionAt
        self.recallAt = recallAt
        self.precisionByRadius = precisionByRadius
        self.recallByRadius = recallByRadius
        self.tieAware = tieAware
    }

    /// P@k, for a k among `cutoffs`.
    public func precision(at k: Int) -> Double? { cutoffs.firstIndex(of: k).map { precisionAt[$0] } }
    /// R@k, for a k among `cutoffs`.
    public func recall(at k: Int) -> Double? { cutoffs.firstIndex(of: k).map { recallAt[$0] } }

    /// Precision within Hamming radius r (beyond `bits`, the whole database is within it).
    public func precision(withinRadius r: Int) -> Double {
        precondition(r >= 0, "a radius is never negative")
        return precisionByRadius[min(r, bits)]
    }

    public func recall(withinRadius r: Int) -> Double {
        precondition(r >= 0, "a radius is never negative")
        return recallByRadius[min(r, bits)]
    }
}
