import Basics
import Render
import TestSupport
import XCTest
@testable import Services
@testable import TUI

/// The explorer on a codes folder with a model, through the pure update: bend keys are no longer
/// refused but search the bent request, and the title and query pane say the codes come from
/// the folder and bends from the model.
final class CodesWithModelExplorerUpdateTests: XCTestCase {
    static var summary: WorkspaceSummary {
        var summary = CodesOnlyExplorerTests.summary
        summary.modelName = "resnet50-48"
        summary.arch = "deephash-resnet50"
        summary.hasNetwork = true
        summary.codesFolder = "deephash-save"
        return summary
    }

    static let choices = [WorkspaceChoice(codesFolder: "runs/deephash-save", gallerySpec: "list:runs/database.txt",
                                          querySpec: "list:runs/test.txt", modelPath: "runs/resnet50-48.safetensors")]

    private func opened() -> AppState {
        var state = AppState(columns: 120, rows: 40, colorMode: .indexed240, choices: Self.choices)
        var effects = TUIFixtures.update.start(&state)
        XCTAssertEqual(effects, [.openWorkspace(choice: 0, Self.choices[0])])
        effects = TUIFixtures.update.update(&state, .workspaceOpened(choice: 0, Self.summary))
        while !effects.isEmpty { effects = TUIFixtures.answer(effects, &state) }
        return state
    }

    func testABendKeySearchesTheBentQuery() throws {
        var state = opened()
        let text = ScreenRenderer.render(state).textLines.joined(separator: "\n")
        XCTAssertTrue(text.contains("codes deephash-save (\(Self.summary.bits) bits), bends by model resnet50-48 (deephash-resnet50)"), text)
        XCTAssertTrue(text.contains("code: deephash-save's row"), text)
        XCTAssertTrue(text.contains("g queries"), "the hints name the query list:\n\(text)")

        let effects = TUIFixtures.update.update(&state, .terminal(.key(.character("r"))))
        XCTAssertNil(state.message, "no refusal")
        let searches = effects.compactMap { effect -> QueryRequest? in
            if case .search(_, let request, _) = effect { return request }
            return nil
        }
        XCTAssertEqual(searches.count, 1, "\(effects)")
        XCTAssertEqual(searches.first?.augmentation, try AugmentationSpec(parsing: "rotate:15"))
        XCTAssertEqual(searches.first?.source, .item(0), "still the query list's row")
        var answered = effects
        while !answered.isEmpty { answered = TUIFixtures.answer(answered, &state) }
        let bent = ScreenRenderer.render(state).textLines.joined(separator: "\n")
        XCTAssertTrue(bent.contains("code: encoded by resnet50-48"), bent)
    }
}
