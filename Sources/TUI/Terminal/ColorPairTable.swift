/// Colour pairs handed out by the driver: one per (foreground, background) seen, numbered from
/// 1 (pair 0 is the terminal's default colours and cannot be changed). Pure bookkeeping; the
/// driver calls init_extended_pair for each new pair. We keep our own table rather than
/// ncurses' alloc_pair because alloc_pair silently recycles the oldest pair when full, which
/// recolours cells already on screen; here a full table is visible, and the driver resets it
/// and redraws the whole frame instead.
struct ColorPairTable {
    struct Colors: Hashable {
        let foreground: Int32
        let background: Int32
    }

    enum Lookup: Equatable {
        /// Already defined.
        case existing(Int32)
        /// Newly numbered: the caller must define it in ncurses before use.
        case new(Int32)
        /// Every pair number is taken.
        case full
    }

    /// Pair numbers usable: 1..<capacity (ncurses' COLOR_PAIRS).
    let capacity: Int
    private var pairs: [Colors: Int32] = [:]
    private var nextPair: Int32 = 1

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Pair numbers handed out so far.
    var count: Int { Int(nextPair) - 1 }

    mutating func pair(foreground: Int32, background: Int32) -> Lookup {
        if foreground == -1 && background == -1 { return .existing(0) }
        let colors = Colors(foreground: foreground, background: background)
        if let pair = pairs[colors] { return .existing(pair) }
        guard Int(nextPair) < capacity else { return .full }
        let pair = nextPair
        nextPair += 1
        pairs[colors] = pair
        return .new(pair)
    }

    /// ncurses refused to define this pair: show these colours as the defaults (pair 0) from
    /// now on rather than asking again for every cell.
    mutating func markFailed(foreground: Int32, background: Int32) {
        pairs[Colors(foreground: foreground, background: background)] = 0
    }

    /// Forget every pair (after reset_color_pairs).
    mutating func removeAll() {
        pairs.removeAll(keepingCapacity: true)
        nextPair = 1
    }
}
