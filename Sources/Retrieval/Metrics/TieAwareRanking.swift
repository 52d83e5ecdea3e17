import Foundation

/// Ranking metrics in the presence of tied distances, as the expectation over every order of
/// the tied items (McSherry and Najork, "Computing information retrieval performance measures
/// efficiently in the presence of tied scores", ECIR 2008).
///
/// The field's convention breaks ties by database index, so which of 171 items at distance 0
/// come first is decided by gallery order, not by the model. The tie-aware values depend only
/// on how many items, and how many relevant ones, lie at each distance: `groups[d]` for
/// d = 0, 1, ... in ranking order. They are exact, not sampled:
/// - hits in the top k: the groups wholly inside plus, for the group the cut splits, the
///   straddling share m * r / n (m of its n items inside, r of them relevant);
/// - AP@k (CalcTopMap's, divided by the relevant hits inside the top k): a relevant item at
///   position p of a group of n items with r relevant, after N items with R relevant, is on
///   average preceded by R + (p - N - 1) (r - 1) / (n - 1) relevant ones, each position holding
///   a relevant item with probability r / n; for the group the cut splits, the number h of its
///   relevant items inside is hypergeometric and AP is averaged over h (given h, the sum of
///   precisions is the same formula with m and h, and the divisor is fixed).
public struct TieAwareRanking: Sendable {
    /// harmonic[p] = 1 + 1/2 + ... + 1/p.
    private let harmonic: [Double]

    /// For databases of up to `count` items.
    public init(count: Int) {
        var table = [Double](repeating: 0, count: count + 1)
        for p in stride(from: 1, through: count, by: 1) { table[p] = table[p - 1] + 1 / Double(p) }
        harmonic = table
    }

    /// One distance's items: how many, and how many of them are relevant.
    public struct Group: Sendable, Equatable {
        public var items: Int
        public var relevant: Int
        public init(items: Int, relevant: Int) {
            precondition(items >= 0 && relevant >= 0 && relevant <= items, "a group of \(items) items cannot hold \(relevant) relevant ones")
            self.items = items
            self.relevant = relevant
        }
    }

    /// Expected relevant items among the first `k` (all of them when k exceeds the database).
    public func expectedHits(_ groups: [Group], k: Int) -> Double {
        var before = 0, hits = 0.0
        for g in groups where g.items > 0 {
            if before + g.items <= k {
                before += g.items
                hits += Double(g.relevant)
            } else {
                return hits + Double(k - before) * Double(g.relevant) / Double(g.items)
            }
        }
        return hits
    }

    /// Expected AP over the first `topK` positions (0 when no relevant item can be there).
    public func expectedAveragePrecision(_ groups: [Group], topK: Int) -> Double {
        var before = 0, relevantBefore = 0, sum = 0.0
        for g in groups where g.items > 0 {
            guard before < topK else { break }
            let n = g.items, r = g.relevant
            if before + n <= topK {
                sum += precisionSum(after: before, relevantBefore: relevantBefore, slots: n, relevant: r)
                before += n
                relevantBefore += r
                continue
            }
            // The cut splits this group: m of its n items are inside the top k.
            let m = topK - before
            var expected = 0.0
            for h in max(0, m - (n - r))...min(m, r) {
                let hits = relevantBefore + h
                guard hits > 0 else { continue }
                let partial = sum + precisionSum(after: before, relevantBefore: relevantBefore, slots: m, relevant: h)
                expected += Self.hypergeometric(h, population: n, successes: r, draws: m) * partial / Double(hits)
            }
            return expected
        }
        return relevantBefore > 0 ? sum / Double(relevantBefore) : 0
    }

    /// E[sum of precision at each relevant item] for `relevant` relevant items placed at random
    /// among positions before+1 ... before+slots, after `relevantBefore` relevant ones.
    private func precisionSum(after before: Int, relevantBefore: Int, slots m: Int, relevant h: Int) -> Double {
        guard h > 0 else { return 0 }
        let reciprocalSum = harmonic[before + m] - harmonic[before]           // sum of 1/p
        let offsetSum = Double(m) - Double(before + 1) * reciprocalSum        // sum of (p - before - 1)/p
        let othersPerSlot = m > 1 ? Double(h - 1) / Double(m - 1) : 0
        return Double(h) / Double(m) * (Double(relevantBefore + 1) * reciprocalSum + othersPerSlot * offsetSum)
    }

    /// P(h successes in `draws` draws without replacement from `population` holding `successes`).
    static func hypergeometric(_ h: Int, population n: Int, successes r: Int, draws m: Int) -> Double {
        func logChoose(_ a: Int, _ b: Int) -> Double { lgamma(Double(a + 1)) - lgamma(Double(b + 1)) - lgamma(Double(a - b + 1)) }
        return exp(logChoose(r, h) + logChoose(n - r, m - h) - logChoose(n, m))
    }
}
