import ArgumentParser
import XCTest
@testable import hashscope

/// Every command's help, rendered at 80 columns, reads as wrapped text: no stray short line in
/// the middle of a paragraph (the sign of a hand-made line break wrapped again by the parser).
final class HelpWrappingTests: XCTestCase {
    static let columns = 80

    /// Every command reachable from the root, with its path of names.
    private func commands(_ command: ParsableCommand.Type, path: [String] = []) -> [(String, ParsableCommand.Type)] {
        let name = command.configuration.commandName ?? String(describing: command)
        let here = path + [name]
        return [(here.joined(separator: " "), command)]
            + command.configuration.subcommands.flatMap { commands($0, path: here) }
    }

    /// The short lines that are not the end of a paragraph, a list item or blank.
    static func strayLines(in help: String, columns: Int) -> [String] {
        let lines = help.split(separator: "\n", omittingEmptySubsequences: false)
        func item(_ line: Substring) -> Bool {
            line.hasPrefix(" ") || line.hasPrefix("- ") || line.hasPrefix("* ")
                || line.range(of: #"^\d+[.)] "#, options: .regularExpression) != nil
        }
        var stray: [String] = []
        for (i, line) in lines.enumerated() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            guard line.trimmingCharacters(in: .whitespaces).count < columns / 3, !item(line) else { continue }
            let next = i + 1 < lines.count ? lines[i + 1] : ""
            let previousIsItem = i > 0 && item(lines[i - 1])
            let endsParagraph = next.trimmingCharacters(in: .whitespaces).isEmpty || (item(next) && !previousIsItem)
            if !endsParagraph || previousIsItem { stray.append(String(line)) }
        }
        return stray
    }

    func testTheCheckFindsAWrappedTableRowAndAcceptsParagraphEnds() {
        XCTAssertEqual(Self.strayLines(in: "A paragraph that is long enough to wrap at\nsome point.\n\nNext.", columns: 80), [])
        XCTAssertEqual(Self.strayLines(in: "Kinds:\n  a   first row that ran past the edge and\nwrapped)\n  b   second", columns: 80),
                       ["wrapped)"])
        XCTAssertEqual(Self.strayLines(in: "Exit status: 0 every item readable; 1 some items or files unreadable (each\nnamed\non stderr).", columns: 80),
                       ["named"])
    }

    func testEveryCommandsHelpIsWrappedByWidthNotByHand() {
        let all = commands(HashscopeCommand.self)
        XCTAssertGreaterThan(all.count, 15)
        for (name, command) in all {
            let help = HashscopeCommand.helpMessage(for: command, columns: Self.columns)
            let stray = Self.strayLines(in: help, columns: Self.columns)
            XCTAssertEqual(stray, [], "`\(name) --help` at \(Self.columns) columns:\n\(help)")
        }
    }
}
