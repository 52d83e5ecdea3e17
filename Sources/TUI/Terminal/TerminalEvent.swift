/// A key as the application sees it, decoded from whatever the terminal sent.
public enum Key: Hashable, Sendable {
    /// A printable character (letters, digits, punctuation, space).
    case character(Character)
    case up, down, left, right
    case enter, backspace, escape, tab
    case pageUp, pageDown, home, end, delete
    /// Ctrl + a letter other than those above (Ctrl-C arrives as `.interrupt`).
    case control(Character)
    /// Ctrl-C typed at the keyboard (the driver keeps the terminal in raw mode, so no SIGINT).
    case interrupt
    case function(Int)
}

/// Everything that reaches the update loop from the terminal.
public enum TerminalEvent: Hashable, Sendable {
    case key(Key)
    /// A left-button press at a 0-based cell.
    case click(column: Int, row: Int)
    /// The terminal now has this many columns and rows.
    case resize(columns: Int, rows: Int)
    /// SIGTERM, SIGHUP or SIGINT from outside: quit now, restoring the terminal.
    case terminate
}
