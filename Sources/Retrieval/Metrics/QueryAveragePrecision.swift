extension HammingRanking {
    /// One query's average precision over the whole ranking: the per-query term of mAP@all
    /// (DeepHash-pytorch's CalcTopMap with topk = all): the mean, over the relevant items, of
    /// (relevant items so far / rank); 0 when nothing is relevant. `excluding` takes one database
    /// item out of the ranking (the query itself, when it is a gallery item), so ranks close up.
    public func averagePrecision(excluding excluded: Int? = nil, isRelevant: (Int) -> Bool) -> Double {
        var hits = 0, rank = 0
        var sum = 0.0
        for item in order where item != excluded {
            rank += 1
            if isRelevant(item) {
                hits += 1
                sum += Double(hits) / Double(rank)
            }
        }
        return hits == 0 ? 0 : sum / Double(hits)
    }
}
