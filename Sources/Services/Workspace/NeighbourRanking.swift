import Retrieval

/// A query's neighbours among a set of codes, with what every screen and report says about them:
/// relevance, the tie group each belongs to (how many codes share its distance, and its place
/// among them), and the per-distance counts the tie-aware figures are computed from. The
/// explorer's workspace and `hashscope search` both rank through it.
public struct NeighbourRanking: Sendable {
    public struct Neighbour: Sendable, Equatable {
        /// Position among the codes.
        public let code: Int
        public let distance: Int
        /// Nil when the query has no labels.
        public let relevant: Bool?
        public let tieGroupSize: Int
        public let tieRank: Int
    }

    public let neighbours: [Neighbour]
    /// Per distance 0...bits: codes there and how many are relevant (0 without query labels),
    /// the excluded code left out.
    public let groups: [TieAwareRanking.Group]

    /// Annotates `ranked` (code positions and distances, nearest first, ties by position) for
    /// `query` (code 0 of it) among `codes`, leaving `excluded` (the query's own code) out of
    /// the groups. `isRelevant` is nil for a query without labels.
    public init(_ ranked: [HammingNeighbour], query: BinaryCodes, codes: BinaryCodes, excluding excluded: Int?,
                isRelevant: ((Int) -> Bool)?) {
        var groups = [TieAwareRanking.Group](repeating: .init(items: 0, relevant: 0), count: codes.bits + 1)
        for c in 0..<codes.count where c != excluded {
            let d = codes.distance(c, to: query, 0)
            groups[d].items += 1
            if let isRelevant, isRelevant(c) { groups[d].relevant += 1 }
        }
        var shown = [Int](repeating: 0, count: codes.bits + 1)
        neighbours = ranked.map { found in
            shown[found.distance] += 1
            return Neighbour(code: found.index, distance: found.distance, relevant: isRelevant.map { $0(found.index) },
                             tieGroupSize: groups[found.distance].items, tieRank: shown[found.distance])
        }
        self.groups = groups
    }

    /// The exact top `top` of `index` (ties by position), leaving `excluded` out.
    public static func exact(_ query: BinaryCodes, index: BinaryFlatIndex, top: Int, excluding excluded: Int?,
                             threads: Int = 1) -> [HammingNeighbour] {
        let wanted = min(index.count, top + (excluded == nil ? 0 : 1))
        guard wanted > 0 else { return [] }
        return Array(index.search(query, k: wanted, threads: threads).neighbours(ofQuery: 0).filter { $0.index != excluded }.prefix(top))
    }

    /// P@top and AP@all over every order of the tied codes; nil for a query without labels.
    public func tieAware(top: Int, ranking: TieAwareRanking, labelled: Bool) -> (precision: Double, averagePrecision: Double)? {
        guard labelled else { return nil }
        let count = groups.reduce(0) { $0 + $1.items }
        return (ranking.expectedHits(groups, k: top) / Double(max(1, top)), ranking.expectedAveragePrecision(groups, topK: count))
    }
}
