import Foundation

/// Why the terminal UI cannot start. Thrown before anything on the terminal has changed.
public enum TerminalError: Error, LocalizedError, Equatable, Sendable {
    /// Standard input or output is a file or pipe, not a terminal.
    case notATerminal(stream: String)
    /// TERM is not set, so the terminal's capabilities are unknown.
    case terminalTypeUnset
    /// TERM names a terminal that cannot position the cursor (dumb, or a hardcopy type).
    case unsupportedTerminal(String)
    /// terminfo has no entry for TERM, or ncurses could not set the terminal up.
    case cannotInitialize(term: String)
    /// The wake-up pipe could not be made (out of file descriptors).
    case noWakePipe
    /// Another `TerminalDriver` still owns the terminal.
    case alreadyActive

    public var errorDescription: String? {
        switch self {
        case .notATerminal(let stream):
            return "the terminal UI needs a terminal, but standard \(stream) is not one (run it in a terminal, not through a pipe or file)"
        case .terminalTypeUnset:
            return "the terminal UI needs TERM to be set (for example TERM=xterm-256color)"
        case .unsupportedTerminal(let term):
            return "TERM=\(term) cannot draw a full-screen UI (use a terminal such as xterm-256color, tmux-256color or tmux-direct)"
        case .cannotInitialize(let term):
            return "cannot start the terminal UI: TERM=\(term) is unknown to terminfo or the terminal could not be set up (is ncurses-term installed?)"
        case .noWakePipe:
            return "cannot start the terminal UI: no file descriptors left for its wake-up pipe"
        case .alreadyActive:
            return "cannot start the terminal UI twice: another terminal driver is still active"
        }
    }

    /// The checks that need no terminal changes, in the order a user can fix them: a real
    /// terminal on both ends first, then a usable TERM. Pure, for tests.
    static func preflight(term: String?, stdinIsTerminal: Bool, stdoutIsTerminal: Bool) throws {
        guard stdinIsTerminal else { throw TerminalError.notATerminal(stream: "input") }
        guard stdoutIsTerminal else { throw TerminalError.notATerminal(stream: "output") }
        guard let term, !term.isEmpty else { throw TerminalError.terminalTypeUnset }
        if term == "dumb" || term == "unknown" { throw TerminalError.unsupportedTerminal(term) }
    }
}
