import Basics
import Render
import XCTest
import Services
@testable import TUI

final class AppUpdateTests: XCTestCase {
    func testStartOpensTheFirstChoiceThenSearchesItemZero() throws {
        var state = AppState(columns: 120, rows: 40, colorMode: .truecolor, choices: TUIFixtures.choices)
        XCTAssertEqual(TUIFixtures.update.start(&state), [.openWorkspace(choice: 0, TUIFixtures.choices[0])])
        let effects = TUIFixtures.update.update(&state, .workspaceOpened(choice: 0, TUIFixtures.summary))
        XCTAssertEqual(state.source, .item(0))
        guard case .search(1, let request, let sizes)? = effects.first else { return XCTFail("expected a search, got \(effects)") }
        XCTAssertEqual(request.source, .item(0))
        XCTAssertEqual(request.top, 12)
        XCTAssertEqual(sizes.neighbourColumns, state.resultTiles.thumbColumns)
    }

    func testRotationKeysBendTheQueryAndSupersedeTheOlderSearch() {
        var (state, _) = TUIFixtures.openedState()
        var effects = TUIFixtures.update.update(&state, .terminal(.key(.character("r"))))
        guard case .search(2, let rotated, _)? = effects.first else { return XCTFail("expected search 2, got \(effects)") }
        XCTAssertEqual(rotated.augmentation.description, "rotate:15")
        effects = TUIFixtures.update.update(&state, .terminal(.key(.character("R"))))
        effects = TUIFixtures.update.update(&state, .terminal(.key(.character("R"))))
        guard case .search(4, let back, _)? = effects.first else { return XCTFail("expected search 4, got \(effects)") }
        XCTAssertEqual(back.augmentation.description, "rotate:-15")

        // The answer to search 2 arrives after 4 was asked for: dropped.
        _ = TUIFixtures.update.update(&state, .searchFinished(generation: 2, TUIFixtures.result(for: rotated), [:]))
        XCTAssertNil(state.result)
        XCTAssertTrue(state.searching)
        _ = TUIFixtures.update.update(&state, .searchFinished(generation: 4, TUIFixtures.result(for: back), [:]))
        XCTAssertEqual(state.result?.request, back)
        XCTAssertFalse(state.searching)
    }

    func testBendsComposeIntoOneSpecAndResetClearsThem() {
        var (state, _) = TUIFixtures.openedState()
        TUIFixtures.press([.character("c"), .character("c"), .character("b"), .character("f"), .character("n"), .character("r")], &state)
        XCTAssertEqual(state.result?.request.augmentation.description, "crop:0.8,rotate:15,brightness:1.1,flip,noise:8")
        TUIFixtures.press([.character("x")], &state)
        XCTAssertTrue(state.result?.request.augmentation.isIdentity ?? false)
    }

    func testAdjustmentsWrapAndClamp() {
        var a = QueryAdjustments()
        for _ in 0..<13 { a.rotate(by: 15) }
        XCTAssertEqual(a.rotation, -165)
        for _ in 0..<30 { a.changeBrightness(by: -0.1) }
        XCTAssertEqual(a.brightness, 0.2, accuracy: 1e-12)
        for expected in [0.9, 0.8, 0.7, 1.0] {
            a.cycleCrop()
            XCTAssertEqual(a.crop, expected)
        }
    }

    func testTopModeAndHeatmapChangeTheRequest() {
        var (state, _) = TUIFixtures.openedState()
        TUIFixtures.press([.character("+"), .character("+"), .character("-"), .character("m"), .character("h")], &state)
        XCTAssertEqual(state.result?.request.top, 13)
        XCTAssertEqual(state.result?.request.mode, .lsh)
        XCTAssertEqual(state.result?.request.heatmap, true)
    }

    func testHeatmapNeedsAnAttentionModule() {
        var state = AppState(columns: 120, rows: 40, colorMode: .truecolor, choices: TUIFixtures.choices)
        _ = TUIFixtures.update.start(&state)
        var noAttention = TUIFixtures.summary
        noAttention.hasAttention = false
        noAttention.arch = "dsh"
        _ = TUIFixtures.update.update(&state, .workspaceOpened(choice: 0, noAttention))
        XCTAssertEqual(TUIFixtures.update.update(&state, .terminal(.key(.character("h")))), [])
        XCTAssertFalse(state.heatmap)
        XCTAssertEqual(state.message?.text, "dsh has no attention module: no heatmap")
    }

    func testEnterFollowsTheSelectedNeighbourAndBackspaceReturns() {
        var (state, effects) = TUIFixtures.openedState()
        while !effects.isEmpty { effects = TUIFixtures.answer(effects, &state) }
        TUIFixtures.press([.right, .right], &state)
        XCTAssertEqual(state.selection, 2)
        let third = state.result!.neighbours[2].item
        TUIFixtures.press([.enter], &state)
        XCTAssertEqual(state.source, .item(third))
        XCTAssertEqual(state.selection, 0)
        TUIFixtures.press([.backspace], &state)
        XCTAssertEqual(state.source, .item(0))
        TUIFixtures.press([.backspace], &state)
        XCTAssertEqual(state.message?.text, "no earlier query")
    }

    func testClickOnATileFollowsThatNeighbour() {
        var (state, effects) = TUIFixtures.openedState()
        while !effects.isEmpty { effects = TUIFixtures.answer(effects, &state) }
        let frame = state.resultTiles.thumbnailFrame(4)
        let effectsAfterClick = TUIFixtures.update.update(&state, .terminal(.click(column: frame.x + 1, row: frame.y + 1)))
        XCTAssertEqual(state.source, .item(state.result!.neighbours[4].item))
        XCTAssertEqual(effectsAfterClick.count, 1)
        // A click in the gap between tiles does nothing.
        let gap = TUIFixtures.update.update(&state, .terminal(.click(column: frame.x + frame.width, row: frame.y)))
        XCTAssertEqual(gap, [])
    }

    func testBrowseFiltersByClassAndPicksAQuery() {
        var (state, effects) = TUIFixtures.openedState()
        while !effects.isEmpty { effects = TUIFixtures.answer(effects, &state) }
        TUIFixtures.press([.character("g")], &state)
        XCTAssertEqual(state.pane, .browse)
        XCTAssertEqual(state.browseItems.count, 40)
        TUIFixtures.press([.tab, .tab], &state)
        XCTAssertEqual(state.browseFilter, 1)
        XCTAssertEqual(state.browseItems, Array(stride(from: 1, to: 40, by: 4)))
        TUIFixtures.press([.right, .right, .enter], &state)
        XCTAssertEqual(state.pane, .results)
        XCTAssertEqual(state.source, .item(9))
        XCTAssertEqual(state.result?.request.source, .item(9))
        TUIFixtures.press([.character("g"), .tab, .tab], &state)
        XCTAssertEqual(state.browseFilter, 3)
        TUIFixtures.press([.tab], &state)
        XCTAssertNil(state.browseFilter, "Tab after the last class goes back to all")
    }

    func testOpenPromptCompletesAndOpensAFile() {
        var (state, _) = TUIFixtures.openedState()
        TUIFixtures.press([.character("o")] + "imgs/c".map { .character($0) } + [.tab], &state)
        guard case .prompt(let prompt) = state.overlay else { return XCTFail("expected the prompt") }
        XCTAssertEqual(prompt.text, "imgs/cat")
        XCTAssertEqual(prompt.candidates, ["cat1.jpg", "cat2.jpg"])
        TUIFixtures.press([.character("2"), .tab, .enter], &state)
        XCTAssertEqual(state.overlay, .none)
        XCTAssertEqual(state.source, .file("imgs/cat2.jpg"))
        XCTAssertNil(state.result?.precision, "a file has no label, so no precision")
        TUIFixtures.press([.character("o"), .character("d"), .escape], &state)
        XCTAssertEqual(state.overlay, .none)
        XCTAssertEqual(state.source, .file("imgs/cat2.jpg"))
    }

    func testPathCompletionAddsASlashToAUniqueDirectory() {
        var prompt = PathPrompt(text: "imgs/d")
        prompt.complete(list: TUIFixtures.update.listDirectory)
        XCTAssertEqual(prompt.text, "imgs/dogs/")
        var unreadable = PathPrompt(text: "nowhere/x")
        unreadable.complete(list: TUIFixtures.update.listDirectory)
        XCTAssertEqual(unreadable.text, "nowhere/x")
    }

    func testSweepCyclesRotationCropOffAndFollowsTheQuery() {
        var (state, _) = TUIFixtures.openedState()
        var effects = TUIFixtures.update.update(&state, .terminal(.key(.character("s"))))
        guard case .sweep(1, _, .rotation)? = effects.first else { return XCTFail("expected a rotation sweep, got \(effects)") }
        effects = TUIFixtures.update.update(&state, .terminal(.key(.character("r"))))
        XCTAssertTrue(effects.contains { if case .sweep(2, _, .rotation) = $0 { return true } else { return false } },
                      "a new query re-runs the sweep: \(effects)")
        _ = TUIFixtures.update.update(&state, .sweepFinished(generation: 1, SweepResult(kind: .rotation, top: 12, points: [])))
        XCTAssertNil(state.sweep, "a superseded sweep is dropped")
        let points = [SweepPoint(strength: 0, precision: 1), SweepPoint(strength: 15, precision: 0.5)]
        _ = TUIFixtures.update.update(&state, .sweepFinished(generation: 2, SweepResult(kind: .rotation, top: 12, points: points)))
        XCTAssertEqual(state.sweep?.points, points)
        effects = TUIFixtures.update.update(&state, .terminal(.key(.character("s"))))
        guard case .sweep(_, _, .crop)? = effects.first else { return XCTFail("expected a crop sweep, got \(effects)") }
        effects = TUIFixtures.update.update(&state, .terminal(.key(.character("s"))))
        XCTAssertEqual(effects, [])
        XCTAssertNil(state.sweepPending)
    }

    func testSessionMAPAveragesDistinctQueries() {
        var (state, effects) = TUIFixtures.openedState()
        while !effects.isEmpty { effects = TUIFixtures.answer(effects, &state) }
        TUIFixtures.press([.character("r"), .character("R")], &state)
        XCTAssertEqual(state.sessionMAP?.queries, 2, "item 0 and item 0 rotated; rotating back is item 0 again")
        XCTAssertEqual(state.sessionMAP?.value ?? 0, 0.5, accuracy: 1e-12)
    }

    func testQuitAndTerminate() {
        var (state, _) = TUIFixtures.openedState()
        XCTAssertEqual(TUIFixtures.update.update(&state, .terminal(.key(.character("q")))), [.quit])
        XCTAssertTrue(state.quitting)
        var (other, _) = TUIFixtures.openedState()
        XCTAssertEqual(TUIFixtures.update.update(&other, .terminal(.terminate)), [.quit])
        var (third, _) = TUIFixtures.openedState()
        TUIFixtures.press([.character("?")], &third)
        XCTAssertEqual(TUIFixtures.update.update(&third, .terminal(.key(.interrupt))), [.quit])
    }

    func testResizeAsksForThumbnailsAtTheNewSize() {
        var (state, effects) = TUIFixtures.openedState()
        while !effects.isEmpty { effects = TUIFixtures.answer(effects, &state) }
        let before = state.thumbnailSizes
        effects = TUIFixtures.update.update(&state, .terminal(.resize(columns: 80, rows: 24)))
        guard case .search(_, _, let sizes)? = effects.first else { return XCTFail("expected a search, got \(effects)") }
        XCTAssertNotEqual(sizes, before)
        XCTAssertEqual(sizes, state.thumbnailSizes)
        XCTAssertEqual(TUIFixtures.update.update(&state, .terminal(.resize(columns: 60, rows: 20))), [], "too small: nothing to fetch")
    }

    func testWorkspaceFailureIsShownNotFatal() {
        var state = AppState(columns: 80, rows: 24, colorMode: .monochrome, choices: TUIFixtures.choices)
        _ = TUIFixtures.update.start(&state)
        _ = TUIFixtures.update.update(&state, .workspaceFailed(choice: 0, "model.safetensors: not a safetensors file"))
        XCTAssertEqual(state.message, .init(text: "model.safetensors: not a safetensors file", isError: true))
        XCTAssertNil(state.workspace)
        XCTAssertEqual(TUIFixtures.update.update(&state, .terminal(.key(.character("r")))), [], "no workspace: nothing to search")
    }

    func testModelListSwitchesWorkspaces() {
        var (single, _) = TUIFixtures.openedState()
        TUIFixtures.press([.character("M")], &single)
        XCTAssertEqual(single.overlay, .none)
        XCTAssertTrue(single.message?.text.contains("one model and gallery only") ?? false)

        let two = TUIFixtures.choices + [WorkspaceChoice(modelPath: "other.safetensors", gallerySpec: "folder:x")]
        var state = AppState(columns: 120, rows: 40, colorMode: .indexed16, choices: two)
        _ = TUIFixtures.update.start(&state)
        _ = TUIFixtures.update.update(&state, .workspaceOpened(choice: 0, TUIFixtures.summary))
        TUIFixtures.press([.character("M"), .down], &state)
        XCTAssertEqual(state.overlay, .models(selected: 1))
        XCTAssertTrue(ScreenRenderer.render(state).textLines.contains { $0.contains("> " + "  other.safetensors on folder:x") })
        let effects = TUIFixtures.update.update(&state, .terminal(.key(.enter)))
        XCTAssertEqual(effects, [.openWorkspace(choice: 1, two[1])])
        XCTAssertEqual(state.loadingChoice, 1)
        _ = TUIFixtures.update.update(&state, .workspaceOpened(choice: 0, TUIFixtures.summary))
        XCTAssertEqual(state.activeChoice, 0, "an answer for a choice no longer loading is dropped")
    }

    func testSaveNumbersItsFiles() {
        var (state, effects) = TUIFixtures.openedState()
        while !effects.isEmpty { effects = TUIFixtures.answer(effects, &state) }
        XCTAssertEqual(TUIFixtures.update.update(&state, .terminal(.key(.character("w")))), [.save(stem: "/tmp/sheets/hashscope-1")])
        XCTAssertEqual(TUIFixtures.update.update(&state, .terminal(.key(.character("w")))), [.save(stem: "/tmp/sheets/hashscope-2")])
        _ = TUIFixtures.update.update(&state, .saved("saved /tmp/sheets/hashscope-2.jpg and /tmp/sheets/hashscope-2.json"))
        XCTAssertTrue(ScreenRenderer.render(state).textLines.last!.contains("saved /tmp/sheets/hashscope-2.jpg"))
    }
}
