import Basics
import Synchronization

/// What a cached grid was drawn from: the gallery item (or query), the cell size, the
/// augmentation and overlay applied before drawing, and the terminal's colours and symbols.
public struct CellGridKey: Hashable, Sendable {
    public var item: String
    public var columns: Int
    public var rows: Int
    /// The canonical augmentation spec (`AugmentationSpec.description`), "" for none.
    public var transform: String
    /// What was drawn over the image, e.g. "heatmap:jet:0.5", "" for none.
    public var overlay: String
    public var mode: ColorMode
    public var symbols: CellSymbols

    public init(item: String, columns: Int, rows: Int, transform: String = "", overlay: String = "",
                mode: ColorMode, symbols: CellSymbols = .blocks) {
        self.item = item
        self.columns = columns
        self.rows = rows
        self.transform = transform
        self.overlay = overlay
        self.mode = mode
        self.symbols = symbols
    }

    /// The key's own bytes, roughly (its strings live beside the grid).
    var approximateByteCount: Int { item.utf8.count + transform.utf8.count + overlay.utf8.count + 64 }
}

/// A thread-safe least-recently-used cache of cell grids, bounded by an approximate byte
/// budget rather than a count (a 120x40 preview costs 50 times a 24x8 thumbnail).
///
/// Lookups and inserts take one lock; rendering happens outside it, so two threads asking for
/// the same missing grid may both render it (the second insert wins; both results are equal).
public final class CellGridCache: Sendable {
    public struct Statistics: Equatable, Sendable {
        public var hits = 0
        public var misses = 0
        public var evictions = 0
        public var count = 0
        public var bytes = 0

        public init() {}
    }

    public let byteBudget: Int
    private let state: Mutex<LRUState>

    public init(byteBudget: Int) {
        precondition(byteBudget > 0, "cache budget must be positive")
        self.byteBudget = byteBudget
        state = Mutex(LRUState())
    }

    /// The grid for `key`, marking it most recently used.
    public func grid(for key: CellGridKey) -> CellGrid? {
        state.withLock { $0.lookUp(key) }
    }

    /// Stores `grid`, evicting the least recently used grids until the budget holds. A grid
    /// larger than the whole budget is not stored.
    public func insert(_ grid: CellGrid, for key: CellGridKey) {
        let cost = grid.approximateByteCount + key.approximateByteCount
        let budget = byteBudget
        state.withLock { $0.insert(grid, for: key, cost: cost, budget: budget) }
    }

    /// The cached grid, or `render()`'s result, stored.
    public func grid(for key: CellGridKey, orRender render: () throws -> CellGrid) rethrows -> CellGrid {
        if let cached = grid(for: key) { return cached }
        let grid = try render()
        insert(grid, for: key)
        return grid
    }

    public func removeAll() {
        state.withLock { $0 = LRUState() }
    }

    public var statistics: Statistics { state.withLock { $0.statistics } }
}

/// The cache's bookkeeping: a dictionary into a doubly linked list kept in an array (slots are
/// reused through a free list), most recent at `head`.
struct LRUState: ~Copyable {
    private struct Node {
        var key: CellGridKey
        var grid: CellGrid?
        var cost: Int
        var previous: Int
        var next: Int
    }

    private var slots: [CellGridKey: Int] = [:]
    private var nodes: [Node] = []
    private var free: [Int] = []
    private var head = -1
    private var tail = -1
    private(set) var statistics = CellGridCache.Statistics()

    mutating func lookUp(_ key: CellGridKey) -> CellGrid? {
        guard let slot = slots[key] else {
            statistics.misses += 1
            return nil
        }
        statistics.hits += 1
        moveToFront(slot)
        return nodes[slot].grid
    }

    mutating func insert(_ grid: CellGrid, for key: CellGridKey, cost: Int, budget: Int) {
        if let slot = slots[key] { remove(slot) }
        guard cost <= budget else { return }
        while statistics.bytes + cost > budget, tail >= 0 {
            remove(tail)
            statistics.evictions += 1
        }
        let node = Node(key: key, grid: grid, cost: cost, previous: -1, next: head)
        let slot: Int
        if let reused = free.popLast() {
            slot = reused
            nodes[slot] = node
        } else {
            slot = nodes.count
            nodes.append(node)
        }
        if head >= 0 { nodes[head].previous = slot }
        head = slot
        if tail < 0 { tail = slot }
        slots[key] = slot
        statistics.count += 1
        statistics.bytes += cost
    }

    private mutating func unlink(_ slot: Int) {
        let (previous, next) = (nodes[slot].previous, nodes[slot].next)
        if previous >= 0 { nodes[previous].next = next } else { head = next }
        if next >= 0 { nodes[next].previous = previous } else { tail = previous }
        nodes[slot].previous = -1
        nodes[slot].next = -1
    }

    private mutating func moveToFront(_ slot: Int) {
        guard slot != head else { return }
        unlink(slot)
        nodes[slot].next = head
        if head >= 0 { nodes[head].previous = slot }
        head = slot
        if tail < 0 { tail = slot }
    }

    private mutating func remove(_ slot: Int) {
        unlink(slot)
        slots[nodes[slot].key] = nil
        statistics.count -= 1
        statistics.bytes -= nodes[slot].cost
        nodes[slot].grid = nil  // release the cells now, not when the slot is reused
        free.append(slot)
    }
}
