import Basics

/// The field's evaluation protocols (docs/ARCHITECTURE.md, Definitions): how a gallery divides
/// into the items a model trains on, the queries, and the database the queries search.
///
/// - `cifar10-full`: every test-split item is a query; every train-split item is both the
///   training set and the database (10,000 / 50,000 on CIFAR-10). Nothing is drawn.
/// - `cifar10-1000`: 100 queries per class drawn from the test split, 500 training items per
///   class drawn from the train split; the database is every item that is not a query
///   (59,000 on CIFAR-10), so it holds the training items.
/// - `corel1k`: 10 queries per class drawn from a gallery without splits; the other items
///   (900 on Corel-1k) are the training set and the database. Reports P@5/10/20/30.
/// - `fashion-mnist-full`: as `cifar10-full` (10,000 test queries, 60,000 train = database).
///
/// Any gallery with the right structure fits (`cifar10-full` opens `folder:` CIFAR JPEGs and
/// `cifar10:` batches alike); one that does not is refused with a message saying what it lacks.
public enum EvaluationProtocol: String, CaseIterable, Sendable {
    case cifar10Full = "cifar10-full"
    case cifar10Thousand = "cifar10-1000"
    case corel1k = "corel1k"
    case fashionMNISTFull = "fashion-mnist-full"

    /// mAP's k for multi-label galleries (DeepHash-pytorch's setting for NUS-WIDE, COCO).
    public static let multiLabelTopK = 5000

    /// A protocol from its `--protocol` name.
    public init(parsing name: String) throws(EvaluationProtocolError) {
        guard let value = Self(rawValue: name) else { throw .unknownName(name) }
        self = value
    }

    public var name: String { rawValue }

    /// One line for help text and `data info`.
    public var summary: String {
        switch self {
        case .cifar10Full: return "every test item a query; every train item training set and database"
        case .cifar10Thousand: return "100 test queries and 500 train items per class, seeded; database = all but the queries"
        case .corel1k: return "10 queries per class, seeded; the rest training set and database; P@5/10/20/30"
        case .fashionMNISTFull: return "every test item a query; every train item training set and database"
        }
    }

    /// Whether `split(_:seed:)` draws at random (so the seed matters).
    public var drawsAtRandom: Bool {
        switch self {
        case .cifar10Thousand, .corel1k: return true
        case .cifar10Full, .fashionMNISTFull: return false
        }
    }

    /// P@k / R@k cutoffs reported beyond the standard ones.
    public var extraCutoffs: [Int] { self == .corel1k ? [5, 10, 20, 30] : [] }

    /// Divides `gallery` as this protocol says. Draws are made with `SeededGenerator(seed:)` and
    /// depend only on the gallery's items (ids, labels and splits, in order) and the seed; the
    /// lists come back ascending. Throws when the gallery does not fit.
    public func split(_ gallery: any Gallery, seed: UInt64 = 0) throws(EvaluationProtocolError) -> ProtocolSplit {
        let facts = ProtocolGalleryFacts(gallery)
        let train: [Int], query: [Int], database: [Int]
        switch self {
        case .cifar10Full, .fashionMNISTFull:
            try facts.require(self, classCount: 10)
            try facts.requireTrainAndTestSplits(self)
            train = facts.indices(in: .train)
            query = facts.indices(in: .test)
            database = train
        case .cifar10Thousand:
            try facts.require(self, classCount: 10)
            try facts.requireTrainAndTestSplits(self)
            try facts.requireSingleLabel(self)
            let testPool = facts.indices(in: .test), trainPool = facts.indices(in: .train)
            try facts.require(self, perClass: 100, in: testPool, what: "test-split items")
            try facts.require(self, perClass: 500, in: trainPool, what: "train-split items")
            // One generator: the query draw first, then the training draw.
            var generator = SeededGenerator(seed: seed)
            query = ClassBalancedDraw.draw(perClass: 100, from: testPool, labels: facts.singleLabels,
                                           classCount: facts.classCount, generator: &generator)
            train = ClassBalancedDraw.draw(perClass: 500, from: trainPool, labels: facts.singleLabels,
                                           classCount: facts.classCount, generator: &generator)
            database = ClassBalancedDraw.complement(of: query, count: facts.itemCount)
        case .corel1k:
            try facts.require(self, classCount: 10)
            try facts.requireNoSplits(self)
            try facts.requireSingleLabel(self)
            let pool = Array(0..<facts.itemCount)
            try facts.require(self, perClass: 11, in: pool, what: "items (10 queries and at least 1 to find)")
            var generator = SeededGenerator(seed: seed)
            query = ClassBalancedDraw.draw(perClass: 10, from: pool, labels: facts.singleLabels,
                                           classCount: facts.classCount, generator: &generator)
            train = ClassBalancedDraw.complement(of: query, count: facts.itemCount)
            database = train
        }
        return ProtocolSplit(name: name, seed: drawsAtRandom ? seed : nil, train: train, query: query,
                             database: database, topK: gallery.isMultiLabel ? Self.multiLabelTopK : nil,
                             extraCutoffs: extraCutoffs)
    }
}
