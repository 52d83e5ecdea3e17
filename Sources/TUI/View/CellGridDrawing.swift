import Basics
import Render

/// Drawing into a screen buffer: text, other grids, fills. Everything clips to the grid, so a
/// view never needs to check whether it fits.
extension CellGrid {
    /// Writes `text` from (x, y), at most `width` columns (the grid's edge by default); returns
    /// the column after the last one written. Characters are taken one scalar a cell: the views
    /// write single-width text only.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, width: Int? = nil, foreground: CellColor = .default,
                             background: CellColor = .default, style: CellStyle = []) -> Int {
        guard y >= 0, y < rows else { return x }
        let end = min(columns, width.map { x + $0 } ?? columns)
        var column = x
        for scalar in text.unicodeScalars {
            guard column < end else { break }
            if column >= 0 {
                self[column, y] = Cell(character: scalar.properties.generalCategory == .control ? " " : scalar,
                                       foreground: foreground, background: background, style: style)
            }
            column += 1
        }
        return column
    }

    /// Copies `grid` with its top-left corner at (x, y).
    public mutating func blit(_ grid: CellGrid, x: Int, y: Int) {
        for row in 0..<grid.rows where y + row >= 0 && y + row < rows {
            for column in 0..<grid.columns where x + column >= 0 && x + column < columns {
                self[x + column, y + row] = grid[column, row]
            }
        }
    }

    /// Copies `grid` centred in `rect` (thumbnails keep their aspect, so they may be smaller).
    public mutating func blit(_ grid: CellGrid, centredIn rect: Rect) {
        blit(grid, x: rect.x + max(0, (rect.width - grid.columns) / 2), y: rect.y + max(0, (rect.height - grid.rows) / 2))
    }

    public mutating func fill(_ rect: Rect, with cell: Cell) {
        for row in rect.y..<(rect.y + rect.height) where row >= 0 && row < rows {
            for column in rect.x..<(rect.x + rect.width) where column >= 0 && column < columns {
                self[column, row] = cell
            }
        }
    }

    /// An ASCII frame around `rect` (ASCII: box-drawing glyphs are ambiguous-width in some terminals).
    public mutating func frame(_ rect: Rect, title: String? = nil, foreground: CellColor = .default) {
        guard rect.width >= 2, rect.height >= 2 else { return }
        let right = rect.x + rect.width - 1, bottom = rect.y + rect.height - 1
        for column in rect.x...right {
            let c: Unicode.Scalar = column == rect.x || column == right ? "+" : "-"
            put(String(c), x: column, y: rect.y, foreground: foreground)
            put(String(c), x: column, y: bottom, foreground: foreground)
        }
        for row in (rect.y + 1)..<bottom {
            put("|", x: rect.x, y: row, foreground: foreground)
            put("|", x: right, y: row, foreground: foreground)
        }
        if let title { put(" \(title) ", x: rect.x + 2, y: rect.y, width: rect.width - 4, foreground: foreground, style: .bold) }
    }
}

/// Text that must fit a width: cut with "~" when too long.
func fitted(_ text: String, _ width: Int) -> String {
    guard width > 0 else { return "" }
    let scalars = Array(text.unicodeScalars)
    guard scalars.count > width else { return text }
    var view = String.UnicodeScalarView()
    view.append(contentsOf: scalars.prefix(max(0, width - 1)))
    return String(view) + "~"
}
