import Basics
/// A terminal colour as the cell grid carries it: 24-bit, a palette index, or the terminal's
/// own default (foreground or background, by position).
public enum CellColor: Hashable, Sendable {
    case rgb(UInt32)       // 0xRRGGBB
    case indexed(UInt8)    // a palette pen, 0...255
    case `default`
}

/// Text attributes a terminal can show without colour (so marks read in monochrome too).
public struct CellStyle: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let bold = CellStyle(rawValue: 1 << 0)
    public static let reverse = CellStyle(rawValue: 1 << 1)
    public static let underline = CellStyle(rawValue: 1 << 2)
    public static let dim = CellStyle(rawValue: 1 << 3)
}

/// One character cell: a single-width character, its two colours and its attributes.
public struct Cell: Hashable, Sendable {
    public var character: Unicode.Scalar
    public var foreground: CellColor
    public var background: CellColor
    public var style: CellStyle

    public init(character: Unicode.Scalar, foreground: CellColor = .default, background: CellColor = .default,
                style: CellStyle = []) {
        self.character = character
        self.foreground = foreground
        self.background = background
        self.style = style
    }

    public static let blank = Cell(character: " ")
}

/// `columns` x `rows` cells, row-major: what a thumbnail looks like in a terminal, independent
/// of how the terminal is driven (ncurses draws it, tests compare it).
public struct CellGrid: Hashable, Sendable {
    public let columns: Int
    public let rows: Int
    public private(set) var cells: [Cell]

    public init(columns: Int, rows: Int, cells: [Cell]) {
        precondition(columns > 0 && rows > 0, "cell grid size must be positive")
        precondition(cells.count == columns * rows, "cells do not match \(columns)x\(rows)")
        self.columns = columns
        self.rows = rows
        self.cells = cells
    }

    public init(columns: Int, rows: Int, filling cell: Cell = .blank) {
        self.init(columns: columns, rows: rows, cells: [Cell](repeating: cell, count: columns * rows))
    }

    public subscript(column: Int, row: Int) -> Cell {
        get {
            precondition(column >= 0 && column < columns && row >= 0 && row < rows, "cell (\(column), \(row)) is outside the grid")
            return cells[row * columns + column]
        }
        set {
            precondition(column >= 0 && column < columns && row >= 0 && row < rows, "cell (\(column), \(row)) is outside the grid")
            cells[row * columns + column] = newValue
        }
    }

    /// The characters of each row, colours left out (for tests and logs).
    public var textLines: [String] {
        (0..<rows).map { row in
            var line = String.UnicodeScalarView()
            line.append(contentsOf: cells[row * columns..<(row + 1) * columns].map(\.character))
            return String(line)
        }
    }

    /// What the grid costs in memory, roughly: the cell storage plus a fixed overhead. The cache
    /// budgets by this.
    public var approximateByteCount: Int { cells.count * MemoryLayout<Cell>.stride + 64 }
}
