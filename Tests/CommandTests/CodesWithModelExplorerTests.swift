import Foundation
import Services
import TestSupport
import XCTest
@testable import hashscope

/// `tui --codes DIR --model M` in tmux: the title says the codes come from the folder and bends
/// from the model; unbent, the status line is the codes-only search's; a bend key (no longer
/// refused) re-encodes the query with M and shows `search --codes --model --augment`'s ranks,
/// distances, P@12 and AP.
final class CodesWithModelExplorerTests: XCTestCase {
    private func report(_ result: CommandResult) throws -> SearchJSON {
        XCTAssertEqual(result.status, 0, result.stderr)
        return try JSONDecoder().decode(SearchJSON.self, from: Data(result.stdout.utf8))
    }

    /// The captions, P@12 and AP the screen must show for `report`.
    private func assertShows(_ report: SearchJSON, on screen: String, file: StaticString = #filePath, line: UInt = #line) throws {
        for r in report.results.prefix(8) {
            let caption = "\(r.relevant == true ? "+" : "x")\(r.rank) d\(r.distance)"
            XCTAssertTrue(screen.contains(caption), "'\(caption)' missing:\n\(screen)", file: file, line: line)
        }
        XCTAssertTrue(screen.contains(String(format: "P@12 %.3f", try XCTUnwrap(report.precision))), screen, file: file, line: line)
        XCTAssertTrue(screen.contains(String(format: "AP %.4f", try XCTUnwrap(report.average_precision))), screen, file: file, line: line)
    }

    func testABendKeyReencodesTheQueryWithTheModelInTmux() throws {
        let tiny = try TrainedTinyModel.get()
        let save = try CodesWithModelSaveFolder(tiny, name: "tui")
        let tmux = try Tmux(scratch: tiny.scratch, columns: 120, rows: 40)
        defer { tmux.kill() }
        tmux.send(literal: "export TERM=tmux-direct XDG_CACHE_HOME=\(tiny.scratch.path)/cache; "
                  + ([CommandRunner.executable.path, "tui"] + save.arguments + ["--model", tiny.model]).joined(separator: " "))
        tmux.send(key: "Enter")
        func settled(_ screen: String) -> Bool { screen.contains("P@12 ") && !screen.contains("working...") }
        var screen = try tmux.wait("the first results", until: settled)
        XCTAssertTrue(screen.contains("codes codes-with-model-tui (16 bits), bends by model model (dsh)"), screen)
        XCTAssertTrue(screen.contains("code: codes-with-model-tui's row"), screen)
        // Unbent: the folder's code, so the codes-only search's figures.
        let unbent = try report(tiny.run(["search"] + save.arguments + ["--query-index", "0", "--top", "12", "--json"]))
        try assertShows(unbent, on: screen)

        // r rotates by 15 degrees: encoded by the model, ranked against the folder's database.
        tmux.send(literal: "r")
        screen = try tmux.wait("the bent query's results") { settled($0) && $0.contains("bend: rotate:15") }
        XCTAssertTrue(screen.contains("code: encoded by model"), screen)
        XCTAssertFalse(screen.contains("need a network"), screen)
        let bent = try report(tiny.run(["search"] + save.arguments + ["--model", tiny.model, "--query-index", "0", "--augment", "rotate:15",
                                                                    "--top", "12", "--json"]))
        try assertShows(bent, on: screen)

        // x takes the bend back: the folder's code again.
        tmux.send(literal: "x")
        screen = try tmux.wait("the unbent query again") { settled($0) && $0.contains("bend: none") }
        try assertShows(unbent, on: screen)

        tmux.send(literal: "q")
        tmux.send(literal: "echo SHELL-IS-BACK")
        tmux.send(key: "Enter")
        _ = try tmux.wait(for: "\nSHELL-IS-BACK\n", "the shell after quit")
    }
}
