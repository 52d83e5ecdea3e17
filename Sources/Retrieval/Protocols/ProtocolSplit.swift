import Basics
/// A gallery divided by an evaluation protocol: which items train the model, which are the
/// queries and which the database they search, as indices into the gallery's `items`, each
/// list ascending (item order), so database position ties break by gallery order.
public struct ProtocolSplit: Sendable, Equatable {
    /// The protocol's name, as `--protocol` takes it and a model file's provenance records it.
    public let name: String
    /// The seed the random draws used (nil when the protocol draws nothing).
    public let seed: UInt64?
    public let train: [Int]
    public let query: [Int]
    public let database: [Int]
    /// The k of mAP@k: nil means the whole database (single-label sets, as DeepHash-pytorch
    /// scores CIFAR-10); 5000 for multi-label sets.
    public let topK: Int?
    /// P@k / R@k cutoffs the protocol reports beyond `RetrievalMetrics.standardCutoffs`
    /// (Corel-1k's 5, 10, 20, 30).
    public let extraCutoffs: [Int]

    public init(name: String, seed: UInt64?, train: [Int], query: [Int], database: [Int],
                topK: Int?, extraCutoffs: [Int]) {
        precondition(topK.map { $0 > 0 } ?? true, "top-k must be positive")
        precondition(extraCutoffs.allSatisfy { $0 > 0 }, "P@k needs k > 0")
        self.name = name
        self.seed = seed
        self.train = train
        self.query = query
        self.database = database
        self.topK = topK
        self.extraCutoffs = extraCutoffs
    }

    /// Every cutoff to evaluate: the standard ones and the protocol's own, ascending.
    public var cutoffs: [Int] {
        Array(Set(RetrievalMetrics.standardCutoffs + extraCutoffs)).sorted()
    }

    /// The k of mAP@k for a metrics report: the database size when `topK` is nil.
    public var effectiveTopK: Int { min(topK ?? database.count, database.count) }

    /// A fixed seeded sample of this split for reading a learning curve (`train --monitor`):
    /// `queries` of its queries and `databaseRatio` times as many of its database (each capped at
    /// what there is), in gallery order; no training items. The same (split, queries, seed)
    /// always gives the same sample.
    public func monitorSample(queries: Int, databaseRatio: Int = 10, seed: UInt64) -> ProtocolSplit {
        var generator = SeededGenerator(seed: seed ^ 0x6D6F_6E69_746F_72)  // "monitor"
        let q = Array(query.shuffled(using: &generator).prefix(queries)).sorted()
        let d = Array(database.shuffled(using: &generator).prefix(queries * databaseRatio)).sorted()
        return ProtocolSplit(name: name + " monitor sample", seed: seed, train: [], query: q, database: d,
                             topK: topK.map { min($0, d.count) }, extraCutoffs: extraCutoffs)
    }
}
