import Basics
import Render
import XCTest
@testable import Services
@testable import TUI

/// Hand-built states for the update and render tests: a 40-item gallery in 4 classes, a result
/// with known neighbours, thumbnails as plain letter blocks (so snapshots do not depend on chafa).
enum TUIFixtures {
    static let classNames = ["cat", "dog", "ship", "truck"]

    static var summary: WorkspaceSummary {
        WorkspaceSummary(modelName: "demo-model", arch: "cbam", bits: 48, hasAttention: true, galleryName: "demo",
                         classNames: classNames, itemIDs: (0..<40).map { "test/\(classNames[$0 % 4])/\($0).png" },
                         itemLabels: (0..<40).map { [$0 % 4] }, encodedCount: 40, fromCache: false)
    }

    static let choices = [WorkspaceChoice(modelPath: "assets/models/demo-model.safetensors", gallerySpec: "cifar10:assets/demo")]

    static var update: AppUpdate {
        AppUpdate(listDirectory: { folder in
            folder == "imgs/" ? [.init(name: "cat1.jpg", isDirectory: false), .init(name: "cat2.jpg", isDirectory: false),
                                 .init(name: "dogs", isDirectory: true)] : nil
        }, saveFolder: "/tmp/sheets")
    }

    /// A state with the workspace open and no search answered yet.
    static func openedState(columns: Int = 120, rows: Int = 40) -> (AppState, [Effect]) {
        var state = AppState(columns: columns, rows: rows, colorMode: .indexed240, choices: choices)
        var effects = update.start(&state)
        effects += update.update(&state, .workspaceOpened(choice: 0, summary))
        return (state, effects)
    }

    /// The result of searching `request`: neighbours 4, 8, 12 (same class as item 0) then 1, 5, ... at growing distances.
    static func result(for request: QueryRequest) -> QueryResult {
        let image = RGBImage(width: 32, height: 32, color: RGBColor(r: 200, g: 100, b: 50))
        let queryClass: Int? = { if case .item(let i) = request.source { return i % 4 } else { return nil } }()
        let items = (1...request.top).map { k in k <= 3 ? 4 * k : 4 * k + 1 }
        let neighbours = items.enumerated().map { rank, item in
            QueryResult.Neighbour(item: item % 40, distance: rank + 1, relevant: queryClass.map { $0 == (item % 40) % 4 })
        }
        let relevant = neighbours.filter { $0.relevant == true }.count
        return QueryResult(request: request, original: image, augmented: image, queryLabels: queryClass.map { [$0] },
                           neighbours: neighbours, withinRadius: nil,
                           precision: queryClass == nil ? nil : Double(relevant) / Double(request.top),
                           averagePrecision: queryClass == nil ? nil : 0.5, heatmap: nil,
                           encodeMilliseconds: 2.5, searchMilliseconds: 0.5)
    }

    /// A letter block standing for a thumbnail.
    static func block(_ key: ThumbnailKey) -> CellGrid {
        let letter: Unicode.Scalar
        switch key.subject {
        case .item(let i), .queryItem(let i): letter = Unicode.Scalar(UInt8(65 + i % 26))
        case .itemHeatmap(let i): letter = Unicode.Scalar(UInt8(97 + i % 26))
        case .queryOriginal: letter = "Q"
        case .queryAugmented: letter = "A"
        case .queryHeatmap: letter = "H"
        }
        return CellGrid(columns: key.columns, rows: key.rows, filling: Cell(character: letter))
    }

    /// Answers every search effect in `effects` with `result(for:)` and letter thumbnails.
    static func answer(_ effects: [Effect], _ state: inout AppState) -> [Effect] {
        var next: [Effect] = []
        for effect in effects {
            switch effect {
            case .search(let generation, let request, let sizes):
                let result = result(for: request)
                var grids: [ThumbnailKey: CellGrid] = [:]
                for key in [ThumbnailKey(.queryOriginal(request), columns: sizes.queryColumns, rows: sizes.queryRows),
                            ThumbnailKey(.queryAugmented(request), columns: sizes.queryColumns, rows: sizes.queryRows)]
                    + result.neighbours.map({ ThumbnailKey(.item($0.item), columns: sizes.neighbourColumns, rows: sizes.neighbourRows) }) {
                    grids[key] = block(key)
                }
                next += update.update(&state, .searchFinished(generation: generation, result, grids))
            case .thumbnails(let keys):
                next += update.update(&state, .thumbnailsReady(Dictionary(uniqueKeysWithValues: keys.map { ($0, block($0)) })))
            default: break
            }
        }
        return next
    }

    /// Sends keys, answering searches as they come, like the runtime with an instant worker.
    static func press(_ keys: [Key], _ state: inout AppState) {
        for key in keys {
            var effects = update.update(&state, .terminal(.key(key)))
            while !effects.isEmpty { effects = answer(effects, &state) }
        }
    }
}

/// Compares rendered screens with Tests/TUITests/Snapshots/NAME.txt, line by line.
/// HASHSCOPE_RECORD_SNAPSHOTS=1 writes the files instead (then review the diff).
func assertSnapshot(_ grid: CellGrid, named name: String, file: StaticString = #filePath, line: UInt = #line) {
    let path = URL(fileURLWithPath: "\(file)").deletingLastPathComponent().appendingPathComponent("Snapshots/\(name).txt").path
    let text = grid.textLines.joined(separator: "\n") + "\n"
    if ProcessInfo.processInfo.environment["HASHSCOPE_RECORD_SNAPSHOTS"] == "1" {
        XCTAssertNoThrow(try text.write(toFile: path, atomically: true, encoding: .utf8), file: file, line: line)
        return
    }
    guard let expected = try? String(contentsOfFile: path, encoding: .utf8) else {
        XCTFail("no snapshot \(path): run with HASHSCOPE_RECORD_SNAPSHOTS=1 to record it", file: file, line: line)
        return
    }
    let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let actualLines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    XCTAssertEqual(actualLines.count, expectedLines.count, "\(name): line count", file: file, line: line)
    for (i, (actual, expected)) in zip(actualLines, expectedLines).enumerated() where actual != expected {
        XCTFail("\(name) line \(i + 1):\n  expected |\(expected)|\n  actual   |\(actual)|", file: file, line: line)
        return
    }
}
