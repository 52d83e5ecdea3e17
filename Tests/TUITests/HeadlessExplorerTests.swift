import Foundation
import TestSupport
import XCTest
import Services
@testable import TUI

/// The explorer without a terminal, on the real workspace (TestSupport's tiny gallery and its
/// 1-epoch dsh model): the first screen, a bend, an export.
final class HeadlessExplorerTests: XCTestCase {
    func testHeadlessExplorerDrivesTheRealWorkspace() throws {
        let tiny = try TrainedTinyModel.get()
        let explorer = HeadlessExplorer(choices: [WorkspaceChoice(modelPath: tiny.model, gallerySpec: tiny.gallery)], columns: 100,
                                        rows: 30, colorMode: .indexed240, cacheFolder: nil, saveFolder: tiny.scratch.path)
        var screen = explorer.start().textLines.joined(separator: "\n")
        XCTAssertTrue(screen.contains("Top 12 of 50"), screen)
        screen = explorer.send(.key(.character("r"))).textLines.joined(separator: "\n")
        XCTAssertTrue(screen.contains("bend: rotate:15"), screen)
        XCTAssertEqual(explorer.state.result?.request.augmentation.description, "rotate:15")
        XCTAssertEqual(explorer.state.thumbnails.count, explorer.state.visibleThumbnails.count, "every thumbnail on screen was rendered")
        screen = explorer.send(.key(.character("w"))).textLines.joined(separator: "\n")
        XCTAssertTrue(screen.contains("saved \(tiny.scratch.path)/hashscope-1"), screen)
    }
}
