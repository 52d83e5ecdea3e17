/// Ground-truth labels of a set of items: one class id each (CIFAR-10, Corel) or multi-hot rows
/// (NUS-WIDE, COCO, DeepHash-pytorch list files).
public enum LabelSet: Sendable, Equatable {
    case classIDs([Int])
    case multiHot(MultiHotLabels)

    public var count: Int {
        switch self {
        case .classIDs(let ids): ids.count
        case .multiHot(let rows): rows.count
        }
    }
}

/// Multi-hot label rows packed as bits, `wordsPerRow` words per row (bit c of row r is label c).
public struct MultiHotLabels: Sendable, Equatable {
    public let classes: Int
    public let count: Int
    public let wordsPerRow: Int
    public let words: [UInt64]

    /// `isSet(row, c)` says whether row `row` carries label `c`.
    public init(count: Int, classes: Int, isSet: (Int, Int) -> Bool) {
        precondition(classes > 0 && count >= 0)
        let wordsPerRow = (classes + 63) / 64
        var words = [UInt64](repeating: 0, count: count * wordsPerRow)
        for row in 0..<count {
            for c in 0..<classes where isSet(row, c) {
                words[row * wordsPerRow + c / 64] |= 1 << UInt64(c % 64)
            }
        }
        self.classes = classes
        self.count = count
        self.wordsPerRow = wordsPerRow
        self.words = words
    }

    public init(rows: [[Bool]]) {
        let classes = rows.first?.count ?? 1
        precondition(rows.allSatisfy { $0.count == classes }, "multi-hot rows of different widths")
        self.init(count: rows.count, classes: classes) { rows[$0][$1] }
    }

    /// One-hot rows for class ids, or the first id outside 0..<classes.
    static func oneHot(_ ids: [Int], classes: Int) -> Result<MultiHotLabels, OutOfRange> {
        if let bad = ids.firstIndex(where: { $0 < 0 || $0 >= classes }) { return .failure(OutOfRange(row: bad, id: ids[bad])) }
        return .success(MultiHotLabels(count: ids.count, classes: classes) { ids[$0] == $1 })
    }

    struct OutOfRange: Error { let row: Int, id: Int }
}

/// Which query labels and which database labels describe, as `Relevance` reports it.
public enum LabelSide: String, Sendable {
    case query, database
}

/// Query and database labels that cannot be compared; `side` says which labels to blame.
public struct RelevanceError: Error, Sendable, Equatable {
    public let side: LabelSide
    public let message: String
}

/// "Relevant" as the field defines it (docs/ARCHITECTURE.md, Definitions): a database item is
/// relevant to a query when they share at least one label. For class ids: the same id. For
/// multi-hot rows: a dot product > 0, as DeepHash-pytorch's `np.dot(queryL, retrievalL.T) > 0`,
/// which for 0/1 rows is "some label set in both" (a bitwise AND here).
public struct Relevance: Sendable {
    enum Storage: Sendable {
        case classes(query: [Int], database: [Int])
        case multiHot(query: MultiHotLabels, database: MultiHotLabels)
    }

    let storage: Storage
    public let queryCount: Int
    public let databaseCount: Int

    /// Class ids on one side and multi-hot rows on the other are compared by turning the ids
    /// into one-hot rows of the same width (an id outside it is an error).
    public init(query: LabelSet, database: LabelSet) throws(RelevanceError) {
        queryCount = query.count
        databaseCount = database.count
        switch (query, database) {
        case (.classIDs(let q), .classIDs(let d)):
            storage = .classes(query: q, database: d)
        case (.multiHot(let q), .multiHot(let d)):
            guard q.classes == d.classes else {
                throw RelevanceError(side: .database, message: "multi-hot labels have \(d.classes) classes, the query labels have \(q.classes)")
            }
            storage = .multiHot(query: q, database: d)
        case (.classIDs(let q), .multiHot(let d)):
            switch MultiHotLabels.oneHot(q, classes: d.classes) {
            case .success(let rows): storage = .multiHot(query: rows, database: d)
            case .failure(let bad):
                throw RelevanceError(side: .query, message: "class id \(bad.id) (row \(bad.row)) is outside the \(d.classes) classes of the multi-hot database labels")
            }
        case (.multiHot(let q), .classIDs(let d)):
            switch MultiHotLabels.oneHot(d, classes: q.classes) {
            case .success(let rows): storage = .multiHot(query: q, database: rows)
            case .failure(let bad):
                throw RelevanceError(side: .database, message: "class id \(bad.id) (row \(bad.row)) is outside the \(q.classes) classes of the multi-hot query labels")
            }
        }
    }

    public var isMultiLabel: Bool {
        if case .multiHot = storage { return true }
        return false
    }

    private init(storage: Storage, queryCount: Int, databaseCount: Int) {
        self.storage = storage
        self.queryCount = queryCount
        self.databaseCount = databaseCount
    }

    /// The relevance of query `q` alone against the same database (to score one query).
    public func restricted(toQuery q: Int) -> Relevance {
        precondition(q >= 0 && q < queryCount)
        switch storage {
        case .classes(let query, let database):
            return Relevance(storage: .classes(query: [query[q]], database: database), queryCount: 1, databaseCount: databaseCount)
        case .multiHot(let query, let database):
            let row = MultiHotLabels(count: 1, classes: query.classes) { _, c in
                query.words[q * query.wordsPerRow + c / 64] >> UInt64(c % 64) & 1 == 1
            }
            return Relevance(storage: .multiHot(query: row, database: database), queryCount: 1, databaseCount: databaseCount)
        }
    }

    public func isRelevant(query q: Int, database i: Int) -> Bool {
        precondition(q >= 0 && q < queryCount && i >= 0 && i < databaseCount)
        switch storage {
        case .classes(let query, let database):
            return query[q] == database[i]
        case .multiHot(let query, let database):
            let w = query.wordsPerRow
            return (0..<w).contains { query.words[q * w + $0] & database.words[i * w + $0] != 0 }
        }
    }

    /// `keys[i] = keys[i] << 1 | (item i is relevant to query q)` for every database item: the
    /// hot path of the evaluation, one sequential pass over the database labels.
    func markRelevant(query q: Int, keys: UnsafeMutablePointer<UInt16>) {
        switch storage {
        case .classes(let query, let database):
            let label = query[q]
            database.withUnsafeBufferPointer { labels in
                for i in 0..<labels.count { keys[i] = keys[i] << 1 | (labels[i] == label ? 1 : 0) }
            }
        case .multiHot(let query, let database):
            let w = query.wordsPerRow
            database.words.withUnsafeBufferPointer { rows in
                if w == 1 {
                    let row = query.words[q]
                    for i in 0..<database.count { keys[i] = keys[i] << 1 | (rows[i] & row != 0 ? 1 : 0) }
                } else {
                    query.words.withUnsafeBufferPointer { queryWords in
                        let row = queryWords.baseAddress! + q * w
                        for i in 0..<database.count {
                            var shared: UInt64 = 0
                            for k in 0..<w { shared |= rows[i * w + k] & row[k] }
                            keys[i] = keys[i] << 1 | (shared != 0 ? 1 : 0)
                        }
                    }
                }
            }
        }
    }
}
