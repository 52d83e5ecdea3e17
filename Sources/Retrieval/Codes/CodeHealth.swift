/// How well a set of codes uses its bits: what the explorer's `i` panel and `index info` show.
///
/// - `onesFraction[j]`: the share of codes with bit j set (0.5 is a balanced bit; 0 or 1 a bit
///   that says nothing).
/// - `meanAbsoluteCorrelation`: the mean of |Pearson correlation| over every pair of bits that
///   both vary (0: independent bits; 1: a bit that repeats another); nil with fewer than two.
/// - `distinctCodes` and `largestGroups`: how many different codes there are, and the sizes of
///   the largest groups of identical codes (the ties every query at distance 0 meets).
public struct CodeHealth: Sendable, Hashable {
    public let count: Int
    public let bits: Int
    public let onesFraction: [Double]
    public let meanAbsoluteCorrelation: Double?
    public let distinctCodes: Int
    /// Descending, at most `groupsKept`.
    public let largestGroups: [Int]

    public static let groupsKept = 5

    public init(_ codes: BinaryCodes) {
        precondition(codes.count > 0, "code health needs at least one code")
        let n = codes.count, bits = codes.bits, words = (n + 63) / 64
        // Bit j of every code as one bitset of n bits: a pair's joint count is one popcount per word.
        var columns = [UInt64](repeating: 0, count: bits * words)
        var groups: [[UInt64]: Int] = [:]
        for c in 0..<n {
            let code = codes.code(c)
            groups[Array(code), default: 0] += 1
            for j in 0..<bits where code[j >> 6] >> UInt64(j & 63) & 1 == 1 {
                columns[j * words + c >> 6] |= 1 << UInt64(c & 63)
            }
        }
        var ones = [Int](repeating: 0, count: bits)
        for j in 0..<bits { for w in 0..<words { ones[j] += columns[j * words + w].nonzeroBitCount } }
        let total = Double(n)
        var correlationSum = 0.0, pairs = 0
        for i in 0..<bits where ones[i] > 0 && ones[i] < n {
            for j in (i + 1)..<max(i + 1, bits) where ones[j] > 0 && ones[j] < n {
                var both = 0
                for w in 0..<words { both += (columns[i * words + w] & columns[j * words + w]).nonzeroBitCount }
                let pi = Double(ones[i]) / total, pj = Double(ones[j]) / total, pij = Double(both) / total
                correlationSum += abs(pij - pi * pj) / ((pi * (1 - pi)) * (pj * (1 - pj))).squareRoot()
                pairs += 1
            }
        }
        count = n
        self.bits = bits
        onesFraction = ones.map { Double($0) / total }
        meanAbsoluteCorrelation = pairs > 0 ? correlationSum / Double(pairs) : nil
        distinctCodes = groups.count
        largestGroups = Array(groups.values.sorted(by: >).prefix(Self.groupsKept))
    }

    /// The Hamming distances from a query to every code, split by relevance: index d holds how
    /// many relevant (and not relevant) codes lie at distance d.
    public static func distanceHistogram(query: BinaryCodes, _ q: Int, codes: BinaryCodes, excluding excluded: Int? = nil,
                                         isRelevant: (Int) -> Bool) -> (relevant: [Int], other: [Int]) {
        var relevant = [Int](repeating: 0, count: codes.bits + 1), other = relevant
        for c in 0..<codes.count where c != excluded {
            let d = codes.distance(c, to: query, q)
            if isRelevant(c) { relevant[d] += 1 } else { other[d] += 1 }
        }
        return (relevant, other)
    }
}
