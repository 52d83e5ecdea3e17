import Foundation
import Retrieval

/// The ranking every workspace does over its database codes, in each `SearchMode`: exact
/// Hamming top-n (ties by position), everything within a radius, or multi-probe LSH over the
/// codes read as ±1 vectors. A model's workspace and a codes folder's rank through this one
/// path, so the modes mean the same whatever made the codes.
///
/// Immutable except the LSH tables, built on first use under a lock, so one ranker may serve
/// several threads.
final class CodeRanker: @unchecked Sendable {
    let codes: BinaryCodes
    private let flat: BinaryFlatIndex
    private let lshLock = NSLock()
    private var lshIndex: LSHIndex?

    /// LSH over the codes: tables of 12 hyperplanes each, probed in 16 buckets per table, a
    /// trade-off that keeps recall high for 16-256-bit codes at gallery sizes the TUI opens.
    static let lshTables = 4, lshBitsPerTable = 12, lshProbes = 16

    init(codes: BinaryCodes) {
        self.codes = codes
        flat = BinaryFlatIndex(codes: codes)
    }

    /// The top `top` codes for `query` (code 0 of it; code positions and distances, nearest
    /// first, ties by position), leaving out `excluded`; with the radius mode also how many
    /// lie within it.
    func rank(_ query: BinaryCodes, mode: SearchMode, top: Int, excluding excluded: Int?) -> (ranked: [HammingNeighbour], withinRadius: Int?) {
        let wanted = min(codes.count, top + (excluded == nil ? 0 : 1))
        guard wanted > 0 else { return ([], nil) }
        switch mode {
        case .exact:
            return (NeighbourRanking.exact(query, index: flat, top: top, excluding: excluded), nil)
        case .radius(let r):
            let found = flat.rangeSearch(query, radius: r, threads: 1)[0].filter { $0.index != excluded }
                .sorted { ($0.distance, $0.index) < ($1.distance, $1.index) }
            return (Array(found.prefix(top)), found.count)
        case .lsh:
            let index = lsh()
            let features = FeatureMatrix(rows: 1, dimension: codes.bits, values: Self.signs(query, 0))
            // Cosine of ±1 vectors is 1 - 2 d / bits: report the Hamming distance it stands for.
            guard let found = try? index.search(features, k: wanted, probes: Self.lshProbes).neighbours(ofQuery: 0) else { return ([], nil) }
            let neighbours = found.filter { $0.index >= 0 && $0.index != excluded }.prefix(top).map {
                HammingNeighbour(index: $0.index, distance: codes.distance($0.index, to: query, 0))
            }
            return (Array(neighbours), nil)
        }
    }

    /// The LSH tables, built once.
    private func lsh() -> LSHIndex {
        lshLock.lock()
        defer { lshLock.unlock() }
        if let lshIndex { return lshIndex }
        let bits = codes.bits
        var values = [Float]()
        values.reserveCapacity(codes.count * bits)
        for c in 0..<codes.count { values += Self.signs(codes, c) }
        // The sizes are in range and the features are finite, so building cannot fail.
        var index = try! LSHIndex(dimension: bits, bitsPerTable: Self.lshBitsPerTable, tables: Self.lshTables, seed: 0)
        try! index.add(FeatureMatrix(rows: codes.count, dimension: bits, values: values))
        lshIndex = index
        return index
    }

    private static func signs(_ codes: BinaryCodes, _ c: Int) -> [Float] {
        (0..<codes.bits).map { codes.bit($0, ofCode: c) ? 1 : -1 }
    }
}
