/// How the TUI ranks the database for a query (`m` cycles through them).
public enum SearchMode: Hashable, Sendable, CustomStringConvertible {
    /// Exact Hamming top-n over every code (BinaryFlatIndex), ties by gallery order.
    case exact
    /// Multi-probe LSH tables over the codes read as ±1 vectors, re-ranked by cosine (which for
    /// ±1 vectors orders as Hamming distance): approximate, as the CNN+CBAM+LSH paper searches.
    case lsh
    /// Every item within Hamming radius r, nearest first; the top n are shown.
    case radius(Int)

    public var description: String {
        switch self {
        case .exact: return "exact Hamming"
        case .lsh: return "LSH"
        case .radius(let r): return "radius \(r)"
        }
    }

    /// The next mode of the `m` cycle.
    public var next: SearchMode {
        switch self {
        case .exact: return .lsh
        case .lsh: return .radius(2)
        case .radius: return .exact
        }
    }
}
