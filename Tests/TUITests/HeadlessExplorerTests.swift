import Foundation
import Render
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

    func testNeighbourHeatmapsAreRenderedOncePerNeighbourAndDifferFromThePlainThumbnails() throws {
        let tiny = try TrainedTinyModel.get()
        // The tiny dsh model has no attention: H says so and changes nothing.
        let dsh = HeadlessExplorer(choices: [WorkspaceChoice(modelPath: tiny.model, gallerySpec: tiny.gallery)], columns: 100,
                                   rows: 30, colorMode: .indexed240, cacheFolder: nil, saveFolder: tiny.scratch.path)
        dsh.start()
        XCTAssertTrue(dsh.send(.key(.character("H"))).textLines.joined().contains("no attention module"))
        XCTAssertFalse(dsh.state.neighbourHeatmaps)
        // One model only: v says what it needs and splits nothing.
        XCTAssertTrue(dsh.send(.key(.character("v"))).textLines.joined().contains("v compares two models on one gallery"))
        XCTAssertNil(dsh.state.comparisonChoice)

        let cbam = tiny.scratch.path + "/headless-cbam.safetensors"
        if !FileManager.default.fileExists(atPath: cbam) {
            let train = try tiny.run(["train", "--arch", "cbam", "--bits", "16", "--dataset", tiny.gallery, "--protocol", "cifar10-full",
                                      "--epochs", "1", "--batch", "8", "--seed", "3", "--out", cbam])
            XCTAssertEqual(train.status, 0, train.stderr)
        }
        let explorer = HeadlessExplorer(choices: [WorkspaceChoice(modelPath: cbam, gallerySpec: tiny.gallery)], columns: 100,
                                        rows: 30, colorMode: .indexed240, cacheFolder: nil, saveFolder: tiny.scratch.path)
        explorer.start()
        let plain = explorer.state.thumbnails.filter { if case .item = $0.key.subject { return true } else { return false } }
        XCTAssertFalse(plain.isEmpty)
        let screen = explorer.send(.key(.character("H"))).textLines.joined(separator: "\n")
        XCTAssertTrue(explorer.state.neighbourHeatmaps)
        XCTAssertTrue(screen.contains("their attention"), screen)
        let heat = explorer.state.thumbnails.compactMap { key, grid -> (Int, CellGrid)? in
            if case .itemHeatmap(let i) = key.subject { return (i, grid) } else { return nil }
        }
        XCTAssertEqual(heat.count, explorer.state.result?.neighbours.prefix(explorer.state.resultTiles.capacity).count)
        // The overlay changes the picture: no heatmap thumbnail equals its plain one.
        for (item, grid) in heat {
            if let original = plain.first(where: { $0.key.subject == .item(item) })?.value { XCTAssertNotEqual(grid, original, "item \(item)") }
        }
        XCTAssertEqual(explorer.state.thumbnails.count, explorer.state.visibleThumbnails.count, "every thumbnail on screen was rendered")
        explorer.send(.key(.character("H")))
        XCTAssertFalse(explorer.state.neighbourHeatmaps)
    }
}
