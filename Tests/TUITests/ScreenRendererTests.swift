import Basics
import Render
import XCTest
import Services
@testable import TUI

final class ScreenRendererTests: XCTestCase {
    private func answered(columns: Int, rows: Int, keys: [Key] = []) -> AppState {
        var (state, effects) = TUIFixtures.openedState(columns: columns, rows: rows)
        while !effects.isEmpty { effects = TUIFixtures.answer(effects, &state) }
        TUIFixtures.press(keys, &state)
        state.timings.draw = 1.25
        return state
    }

    func testResultsScreenAt120x40() {
        let screen = ScreenRenderer.render(answered(columns: 120, rows: 40))
        assertSnapshot(screen, named: "results-120x40")
        let text = screen.textLines.joined(separator: "\n")
        XCTAssertTrue(text.contains("+1 d1 cat"), "rank, distance and label under the first neighbour")
        XCTAssertTrue(text.contains("x4 d4 dog"), "a wrong neighbour is marked x")
        XCTAssertTrue(text.contains("P@12 0.250"))
        XCTAssertTrue(text.contains("model demo-model (cbam, 48 bits)"))
    }

    func testResultsScreenAt80x24WithABentQuery() {
        let state = answered(columns: 80, rows: 24, keys: [.character("r"), .character("c")])
        let screen = ScreenRenderer.render(state)
        assertSnapshot(screen, named: "results-80x24-bent")
        XCTAssertTrue(screen.textLines.contains { $0.contains("bend: crop:0.9,rotate:15") })
        XCTAssertEqual(state.resultTiles.capacity >= 12, true, "12 neighbours fit at 80 x 24")
    }

    func testMarksCarryColourAndSymbol() {
        let state = answered(columns: 120, rows: 40)
        let screen = ScreenRenderer.render(state)
        let tiles = state.resultTiles
        let right = tiles.thumbnailFrame(0), wrong = tiles.thumbnailFrame(3)
        XCTAssertEqual(screen[right.x, right.y + right.height].character, "+")
        XCTAssertEqual(screen[right.x, right.y + right.height].foreground, .indexed(2))
        XCTAssertEqual(screen[wrong.x, wrong.y + wrong.height].character, "x")
        XCTAssertEqual(screen[wrong.x, wrong.y + wrong.height].foreground, .indexed(1))
        XCTAssertTrue(screen[right.x, right.y + right.height].style.contains(.reverse), "the selected neighbour is in reverse video")
        XCTAssertEqual(screen[right.x, right.y].character, "E", "the thumbnail of item 4 is drawn in its tile")
    }

    func testHelpListsEveryKey() {
        let screen = ScreenRenderer.render(answered(columns: 120, rows: 40, keys: [.character("?")]))
        let text = screen.textLines.joined(separator: "\n")
        for binding in KeyBindings.all { XCTAssertTrue(text.contains(binding.action), "help lacks: \(binding.action)") }
        assertSnapshot(screen, named: "help-120x40")
    }

    func testTooSmallSaysHowLarge() {
        var state = answered(columns: 120, rows: 40)
        _ = TUIFixtures.update.update(&state, .terminal(.resize(columns: 70, rows: 20)))
        let text = ScreenRenderer.render(state).textLines.joined(separator: "\n")
        XCTAssertTrue(text.contains("needs a terminal of at least 80 x 24"))
        XCTAssertTrue(text.contains("this one is 70 x 20"))
    }

    func testBrowseScreen() {
        let screen = ScreenRenderer.render(answered(columns: 80, rows: 24, keys: [.character("g"), .tab]))
        assertSnapshot(screen, named: "browse-80x24")
        XCTAssertTrue(screen.textLines[1].contains("10 images, class cat"))
    }

    func testSweepPlotIsDrawnInTheQueryPane() {
        var state = answered(columns: 120, rows: 40, keys: [.character("s")])
        let points = [0.0, 15, 30, 45, 60, 75, 90].enumerated().map { SweepPoint(strength: $1, precision: 1 - Double($0) / 8) }
        _ = TUIFixtures.update.update(&state, .sweepFinished(generation: state.sweepGeneration,
                                                              SweepResult(kind: .rotation, top: 12, points: points)))
        let lines = ScreenRenderer.render(state).textLines
        XCTAssertTrue(lines.contains { $0.contains("rotation (deg)") })
        XCTAssertTrue(lines.contains { $0.unicodeScalars.contains { (0x2801...0x28FF).contains($0.value) } }, "braille dots drawn")
    }

    func testRenderIsPure() {
        let state = answered(columns: 100, rows: 30, keys: [.character("r")])
        XCTAssertEqual(ScreenRenderer.render(state), ScreenRenderer.render(state))
    }

    func testTileGridHitTestingInvertsTheFrames() {
        let grid = TileGrid.fitting(Rect(x: 27, y: 2, width: 52, height: 20), count: 12)
        XCTAssertEqual(grid.thumbColumns, 10, "the largest 2:1 tiles of which 12 fit in 52 x 20")
        XCTAssertGreaterThanOrEqual(grid.capacity, 12)
        for i in 0..<grid.capacity {
            let frame = grid.thumbnailFrame(i)
            XCTAssertEqual(grid.tile(atColumn: frame.x, row: frame.y), i)
            XCTAssertEqual(grid.tile(atColumn: frame.x + frame.width - 1, row: frame.y + frame.height), i, "the caption row belongs to the tile")
        }
        XCTAssertNil(grid.tile(atColumn: 0, row: 0))
    }
}
