import Basics
import Render
import TestSupport
import XCTest
@testable import Services
@testable import TUI

/// The explorer on codes made elsewhere (no network), driven through the pure update: the keys
/// that need a network say so and change nothing, queries come from the query list, and the
/// screen says it is codes only. The searches are answered by TUIFixtures' stand-in result.
final class CodesOnlyExplorerTests: XCTestCase {
    /// A codes folder's summary: 40 database items (TUIFixtures' gallery) and 8 queries of their own.
    static var summary: WorkspaceSummary {
        var summary = TUIFixtures.summary
        summary.modelName = "deephash-save"
        summary.arch = "codes only"
        summary.hasAttention = false
        summary.hasNetwork = false
        summary.galleryName = "database.txt"
        summary.separateQueries = .init(name: "test.txt", ids: (0..<8).map { "query/\($0).jpg" }, labels: (0..<8).map { [$0 % 4] })
        return summary
    }

    static let choices = [WorkspaceChoice(codesFolder: "runs/save", gallerySpec: "list:runs/database.txt", querySpec: "list:runs/test.txt")]

    private func opened(columns: Int = 120, rows: Int = 40) -> AppState {
        var state = AppState(columns: columns, rows: rows, colorMode: .indexed240, choices: Self.choices)
        var effects = TUIFixtures.update.start(&state)
        XCTAssertEqual(effects, [.openWorkspace(choice: 0, Self.choices[0])])
        effects = TUIFixtures.update.update(&state, .workspaceOpened(choice: 0, Self.summary))
        while !effects.isEmpty { effects = TUIFixtures.answer(effects, &state) }
        state.timings.draw = 1.25
        return state
    }

    func testKeysThatNeedANetworkSaySoAndChangeNothingElse() {
        let before = opened()
        XCTAssertNotNil(before.result)
        let keys: [(Character, String)] = [
            ("r", "bends need a network"), ("R", "bends need a network"), ("c", "bends need a network"), ("b", "bends need a network"),
            ("B", "bends need a network"), ("f", "bends need a network"), ("n", "bends need a network"), ("x", "bends need a network"),
            ("h", "the attention heatmap needs a network"), ("H", "the attention heatmap needs a network"),
            ("v", "v compares two models' answers and needs a network"), ("M", "M switches models and needs a network"),
            ("o", "opening an image file needs a network to encode it"), ("s", "a sweep bends the query and needs a network"),
        ]
        for (key, text) in keys {
            var state = before
            let effects = TUIFixtures.update.update(&state, .terminal(.key(.character(key))))
            XCTAssertEqual(effects, [], "\(key) asks for no work")
            XCTAssertEqual(state.message, .init(text: text + ": this folder has codes only", isError: false), "\(key)")
            state.message = nil
            XCTAssertEqual(state.adjustments, before.adjustments, "\(key)")
            XCTAssertEqual(state.generation, before.generation, "\(key): no search")
            XCTAssertEqual(state.overlay, .none, "\(key)")
            XCTAssertEqual(state.heatmap, false)
            XCTAssertEqual(state.neighbourHeatmaps, false)
            XCTAssertEqual(state.comparisonChoice, nil)
            XCTAssertEqual(state.sweepPending, nil)
        }
        // The message is in the status line.
        var state = before
        _ = TUIFixtures.update.update(&state, .terminal(.key(.character("r"))))
        let screen = ScreenRenderer.render(state).textLines
        XCTAssertTrue(screen[state.layout.status.y + 1].contains("bends need a network: this folder has codes only"))
    }

    func testQueriesComeFromTheQueryListAndNeighboursCannotBecomeQueries() {
        var state = opened()
        XCTAssertEqual(state.source, .item(0))
        // Enter on a neighbour: it is a database item, not a query.
        let generation = state.generation
        XCTAssertEqual(TUIFixtures.update.update(&state, .terminal(.key(.enter))), [])
        XCTAssertEqual(state.generation, generation)
        XCTAssertTrue(state.message?.text.contains("queries come from test.txt") == true, "\(String(describing: state.message))")

        // g lists the 8 queries, Tab filters them by class, Enter searches the one picked.
        TUIFixtures.press([.character("g")], &state)
        XCTAssertEqual(state.browseItems, Array(0..<8))
        XCTAssertTrue(state.visibleThumbnails.contains { $0.subject == .queryItem(7) }, "the browse pane shows the query images")
        XCTAssertFalse(state.visibleThumbnails.contains { $0.subject == .item(7) })
        TUIFixtures.press([.tab, .tab], &state)
        XCTAssertEqual(state.browseItems, [1, 5])
        TUIFixtures.press([.right, .enter], &state)
        XCTAssertEqual(state.source, .item(5))
        XCTAssertEqual(state.result?.request.source, .item(5))
        XCTAssertEqual(state.pane, .results)
        let text = ScreenRenderer.render(state).textLines.joined(separator: "\n")
        XCTAssertTrue(text.contains("query/5.jpg"), "the query pane names the query list's image:\n\(text)")
        // Backspace goes back to the first query; m still cycles the search modes.
        TUIFixtures.press([.backspace], &state)
        XCTAssertEqual(state.source, .item(0))
        TUIFixtures.press([.character("m")], &state)
        XCTAssertEqual(state.result?.request.mode, .lsh)
    }

    func testTheScreenSaysCodesOnlyAndShowsNoEncodeTime() {
        let state = opened()
        XCTAssertNil(state.timings.encode, "nothing was encoded")
        let screen = ScreenRenderer.render(state)
        assertSnapshot(screen, named: "codes-120x40")
        let lines = screen.textLines
        XCTAssertTrue(lines[0].contains("codes deephash-save (48 bits, no model)"), lines[0])
        XCTAssertTrue(lines[0].contains("queries test.txt, 8 images | database database.txt, 40 images"), lines[0])
        let text = lines.joined(separator: "\n")
        XCTAssertTrue(text.contains("no model: codes only, so no bends"), "the heatmap's slot says why it is empty")
        XCTAssertTrue(text.contains("P@12 0.250"))
        XCTAssertFalse(text.contains("encode "), "no encode time")
        XCTAssertTrue(text.contains("+1 d1 cat"), "neighbours with distance and label")
        assertSnapshot(ScreenRenderer.render(opened(columns: 80, rows: 24)), named: "codes-80x24")
    }

    func testTheHeadlessExplorerOpensARealFolderWithBothListsImages() throws {
        let scratch = try ScratchDirectory()
        let folder = try Self.writeFolder(in: scratch)
        let choice = WorkspaceChoice(codesFolder: folder, gallerySpec: "list:\(folder)/database.txt", querySpec: "list:\(folder)/test.txt")
        let explorer = HeadlessExplorer(choices: [choice], columns: 120, rows: 40, colorMode: .indexed240, cacheFolder: nil,
                                        saveFolder: scratch.path)
        let first = explorer.start().textLines.joined(separator: "\n")
        let summary = try XCTUnwrap(explorer.state.workspace, explorer.state.message?.text ?? "no message")
        XCTAssertFalse(summary.hasNetwork)
        XCTAssertEqual(summary.itemIDs, ["d0.ppm", "d1.ppm", "d2.ppm"])
        XCTAssertEqual(summary.queryIDs, ["q0.ppm", "q1.ppm"])
        XCTAssertEqual(summary.modelName, "save")
        XCTAssertTrue(first.contains("Top 12 of 3"), first)
        // Query 0 is 0011: d2 (0011) at 0, d1 (0111) at 1, d0 (1111) at 2.
        let result = try XCTUnwrap(explorer.state.result)
        XCTAssertEqual(result.neighbours.map(\.item), [2, 1, 0])
        XCTAssertEqual(result.neighbours.map(\.distance), [0, 1, 2])
        XCTAssertEqual(result.neighbours.map(\.relevant), [true, false, true])
        XCTAssertEqual(result.precision, 2.0 / 12, "P@12 over 3 items, as the evaluator divides")
        XCTAssertEqual(try XCTUnwrap(result.averagePrecision), (1.0 / 1 + 2.0 / 3) / 2, accuracy: 1e-12)
        for n in result.neighbours {
            XCTAssertTrue(explorer.state.thumbnails.keys.contains { $0.subject == .item(n.item) }, "thumbnail of database item \(n.item)")
        }
        XCTAssertTrue(explorer.state.thumbnails.keys.contains { if case .queryOriginal = $0.subject { return true } else { return false } })
        // The browse pane draws the query list's images.
        explorer.send(.key(.character("g")))
        XCTAssertNotNil(explorer.state.thumbnails.first { $0.key.subject == .queryItem(1) })
        // w saves the sheet and JSON; the JSON names the folder, not a model.
        explorer.send(.key(.character("g")))
        explorer.send(.key(.character("w")))
        let json = try String(contentsOfFile: scratch.path + "/hashscope-1.json", encoding: .utf8)
        XCTAssertTrue(json.contains("\"codes\" : \"\(folder)\""), json)
        XCTAssertTrue(json.contains("\"model\" : null"), json)
        XCTAssertTrue(json.contains("\"id\" : \"q0.ppm\""), json)
    }

    /// A save folder of 8-bit codes, the last four bits 0 everywhere: queries 0011 (label 0) and
    /// 1100 (label 1); database 1111 (labels 0 and 1), 0111 (label 1), 0011 (label 0); 4x4 PPM
    /// images beside the list files.
    static func writeFolder(in scratch: ScratchDirectory) throws -> String {
        let sign = { (bits: String) in (bits + "0000").map { $0 == "1" ? Float(1) : -1 } }
        try scratch.write("save/tst_binary.npy", NPYWriter.float32(["0011", "1100"].map(sign)))
        try scratch.write("save/trn_binary.npy", NPYWriter.float32(["1111", "0111", "0011"].map(sign)))
        try scratch.write("save/tst_label.npy", NPYWriter.float32([[1, 0], [0, 1]]))
        try scratch.write("save/trn_label.npy", NPYWriter.float32([[1, 1], [0, 1], [1, 0]]))
        try scratch.write("save/test.txt", Array("q0.ppm 1 0\nq1.ppm 0 1\n".utf8))
        try scratch.write("save/database.txt", Array("d0.ppm 1 1\nd1.ppm 0 1\nd2.ppm 1 0\n".utf8))
        for (i, name) in ["q0", "q1", "d0", "d1", "d2"].enumerated() {
            let pixels = (0..<4 * 4 * 3).map { UInt8(truncatingIfNeeded: 50 * i + 7 * $0) }
            try scratch.write("save/\(name).ppm", PPMCodec.encode(RGBImage(width: 4, height: 4, pixels: pixels)))
        }
        return scratch.path + "/save"
    }
}
