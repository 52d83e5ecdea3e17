import Foundation
import Basics
import Render
import XCTest

final class CellGridCacheTests: XCTestCase {
    private static func key(_ item: String, columns: Int = 4, mode: ColorMode = .truecolor, transform: String = "") -> CellGridKey {
        CellGridKey(item: item, columns: columns, rows: 2, transform: transform, mode: mode)
    }

    private static func grid(_ columns: Int = 4, _ character: Unicode.Scalar = "x") -> CellGrid {
        CellGrid(columns: columns, rows: 2, filling: Cell(character: character))
    }

    private static func cost(_ item: String, columns: Int = 4) -> Int {
        // What the cache charges: measure it through an empty cache.
        let cache = CellGridCache(byteBudget: 1 << 20)
        cache.insert(grid(columns), for: Self.key(item, columns: columns))
        return cache.statistics.bytes
    }

    func testHitsMissesAndKeysThatDifferInAnyPart() {
        let cache = CellGridCache(byteBudget: 1 << 20)
        XCTAssertNil(cache.grid(for: Self.key("a")))
        cache.insert(Self.grid(), for: Self.key("a"))
        XCTAssertEqual(cache.grid(for: Self.key("a")), Self.grid())
        XCTAssertNil(cache.grid(for: Self.key("a", mode: .indexed240)))
        XCTAssertNil(cache.grid(for: Self.key("a", columns: 5)))
        XCTAssertNil(cache.grid(for: Self.key("a", transform: "rotate:30")))
        XCTAssertEqual(cache.statistics.hits, 1)
        XCTAssertEqual(cache.statistics.misses, 4)
        var renders = 0
        for _ in 0..<3 { _ = cache.grid(for: Self.key("b")) { renders += 1; return Self.grid() } }
        XCTAssertEqual(renders, 1)
    }

    func testEvictsLeastRecentlyUsedWithinTheByteBudget() {
        let each = Self.cost("a")
        let cache = CellGridCache(byteBudget: 3 * each)
        cache.insert(Self.grid(), for: Self.key("a"))
        cache.insert(Self.grid(), for: Self.key("b"))
        cache.insert(Self.grid(), for: Self.key("c"))
        _ = cache.grid(for: Self.key("a"))            // a is now the most recent; b the least
        cache.insert(Self.grid(), for: Self.key("d"))
        XCTAssertNil(cache.grid(for: Self.key("b")))
        XCTAssertNotNil(cache.grid(for: Self.key("a")))
        XCTAssertNotNil(cache.grid(for: Self.key("c")))
        XCTAssertNotNil(cache.grid(for: Self.key("d")))
        XCTAssertEqual(cache.statistics.evictions, 1)
        XCTAssertLessThanOrEqual(cache.statistics.bytes, cache.byteBudget)
        // One large grid pushes out several small ones: the budget is bytes, not a count.
        cache.insert(Self.grid(8), for: Self.key("big", columns: 8))
        XCTAssertLessThanOrEqual(cache.statistics.bytes, cache.byteBudget)
        XCTAssertNotNil(cache.grid(for: Self.key("big", columns: 8)))
        XCTAssertLessThan(cache.statistics.count, 4)
        // Larger than the whole budget: not stored, nothing else lost.
        let before = cache.statistics.count
        cache.insert(Self.grid(400), for: Self.key("huge", columns: 400))
        XCTAssertNil(cache.grid(for: Self.key("huge", columns: 400)))
        XCTAssertEqual(cache.statistics.count, before)
        // Replacing a key does not double-count it.
        cache.insert(Self.grid(8, "y"), for: Self.key("big", columns: 8))
        XCTAssertEqual(cache.grid(for: Self.key("big", columns: 8))?.cells.first?.character, "y")
        cache.removeAll()
        XCTAssertEqual(cache.statistics, CellGridCache.Statistics())
    }

    func testConcurrentUseKeepsTheBudgetAndLosesNothing() {
        let each = Self.cost("item-00")
        let cache = CellGridCache(byteBudget: 20 * each)
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for i in 0..<500 {
                let item = String(format: "item-%02d", (i * 7 + worker) % 40)
                let found = cache.grid(for: Self.key(item)) { Self.grid() }
                XCTAssertEqual(found, Self.grid())
            }
        }
        let statistics = cache.statistics
        XCTAssertLessThanOrEqual(statistics.bytes, cache.byteBudget)
        XCTAssertEqual(statistics.hits + statistics.misses, 8 * 500)
        XCTAssertLessThanOrEqual(statistics.count, 20)
    }
}
