import CNcursesw
import Basics
import Render

extension TerminalDriver {
    /// Puts `frame` on the screen, anchored at the top-left corner, and refreshes. Only cells
    /// that changed since the last frame are written; after a resize, a colour-pair reset,
    /// `redrawAll()`, or a frame of a different size, the screen is erased and drawn whole.
    /// A frame larger than the terminal is clipped; a smaller one leaves the rest blank.
    /// Does nothing after `restore()`.
    public func draw(_ frame: CellGrid) {
        guard isActive else { return }
        assertOwnerThread()
        let screenSize = (columns: Int(hs_cols()), rows: Int(hs_lines()))
        let sizeChanged = screenSize != previousScreen
        var plan = needsFullRedraw || sizeChanged ? FramePlan.full : FramePlan.between(previous: previousFrame, next: frame)
        if !paint(frame, plan: plan, screen: screenSize, degradeWhenFull: false) {
            // Out of colour pairs: start the table again and repaint every cell with fresh pairs.
            reset_color_pairs()
            pairs.removeAll()
            plan = .full
            _ = paint(frame, plan: plan, screen: screenSize, degradeWhenFull: true)
        }
        previousFrame = frame
        previousScreen = screenSize
        needsFullRedraw = false
        wnoutrefresh(hs_stdscr())
        doupdate()
    }

    /// Repaints the whole terminal on the next `draw`, including what ncurses believes is
    /// already there (for Ctrl-L, or after something else wrote to the terminal).
    public func redrawAll() {
        guard isActive else { return }
        needsFullRedraw = true
        clearok(hs_curscr(), true)
    }

    /// Writes the planned cells. Returns false when the colour pairs ran out and
    /// `degradeWhenFull` is false; with it true, such cells fall back to default colours.
    private func paint(_ frame: CellGrid, plan: FramePlan, screen: (columns: Int, rows: Int),
                       degradeWhenFull: Bool) -> Bool {
        let visibleColumns = min(frame.columns, screen.columns)
        let visibleRows = min(frame.rows, screen.rows)
        switch plan {
        case .full:
            werase(hs_stdscr())
            for row in 0..<visibleRows {
                for column in 0..<visibleColumns {
                    let cell = frame.cells[row * frame.columns + column]
                    guard put(cell, column: column, row: row, degradeWhenFull: degradeWhenFull) else { return false }
                }
            }
        case .cells(let indices):
            for index in indices {
                let (row, column) = index.quotientAndRemainder(dividingBy: frame.columns)
                guard row < visibleRows, column < visibleColumns else { continue }
                guard put(frame.cells[index], column: column, row: row, degradeWhenFull: degradeWhenFull) else { return false }
            }
        }
        return true
    }

    private func put(_ cell: Cell, column: Int, row: Int, degradeWhenFull: Bool) -> Bool {
        var pair: Int32 = 0
        if colorMode != .monochrome {
            if let found = colorPair(for: cell) {
                pair = found
            } else if !degradeWhenFull {
                return false
            }
        }
        // ERR at the bottom-right cell only means the cursor could not advance (see shim.h).
        _ = hs_put_cell(Int32(row), Int32(column), CellText.displayable(cell.character), attributes(cell.style), pair)
        return true
    }

    /// The pair for the cell's colours, defining it on first use; nil when none are left.
    private func colorPair(for cell: Cell) -> Int32? {
        let foreground = colors.foreground(cell.foreground)
        let background = colors.background(cell.background)
        switch pairs.pair(foreground: foreground, background: background) {
        case .existing(let pair):
            return pair
        case .new(let pair):
            if init_extended_pair(pair, foreground, background) == OK { return pair }
            pairs.markFailed(foreground: foreground, background: background)  // show defaults
            return 0
        case .full:
            return nil
        }
    }

    private func attributes(_ style: CellStyle) -> attr_t {
        var attributes = hs_attr_normal()
        if style.contains(.bold) { attributes |= hs_attr_bold() }
        if style.contains(.reverse) { attributes |= hs_attr_reverse() }
        if style.contains(.underline) { attributes |= hs_attr_underline() }
        if style.contains(.dim) { attributes |= hs_attr_dim() }
        return attributes
    }
}

/// What character actually goes into a cell. The layout assumes one cell per character, so
/// anything that is not exactly one column wide in the current locale (control characters,
/// combining marks, wide CJK, or non-ASCII under a non-UTF-8 locale) is replaced.
enum CellText {
    static func displayable(_ scalar: Unicode.Scalar) -> wchar_t {
        let value = scalar.value
        if value >= 0x20 && value < 0x7F { return wchar_t(value) }  // printable ASCII
        if value < 0x20 || (value >= 0x7F && value < 0xA0) { return wchar_t(0x20) }  // controls
        return hs_wcwidth(wchar_t(value)) == 1 ? wchar_t(value) : wchar_t(0x3F)  // "?"
    }
}
