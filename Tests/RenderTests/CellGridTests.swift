import CChafa
import Foundation
import Basics
import Render
import TestSupport
import XCTest

/// Snapshot tests of image -> cell grid, one per colour mode, on a quadrant image: compare the
/// grid (characters and colours), never escape bytes.
final class CellGridTests: XCTestCase {
    static let red = RGBColor(r: 255, g: 0, b: 0), green = RGBColor(r: 0, g: 255, b: 0)
    static let blue = RGBColor(r: 0, g: 0, b: 255), yellow = RGBColor(r: 255, g: 255, b: 0)

    /// 64x64: red | green over blue | yellow.
    private func quadrants(_ colors: [RGBColor] = [red, green, blue, yellow]) -> RGBImage {
        var image = RGBImage(width: 64, height: 64, color: .black)
        image.fill(PixelRect(x: 0, y: 0, width: 32, height: 32), with: colors[0])
        image.fill(PixelRect(x: 32, y: 0, width: 32, height: 32), with: colors[1])
        image.fill(PixelRect(x: 0, y: 32, width: 32, height: 32), with: colors[2])
        image.fill(PixelRect(x: 32, y: 32, width: 32, height: 32), with: colors[3])
        return image
    }

    /// The colours a cell shows: the background where the glyph is blank, the foreground where
    /// it is ink.
    private func visibleColors(_ cell: Cell) -> Set<CellColor> {
        switch cell.character {
        case " ": return [cell.background]
        case "\u{2588}": return [cell.foreground]  // full block
        default: return [cell.foreground, cell.background]
        }
    }

    /// Each 4x2 quadrant of an 8x4 grid shows only `expected[quadrant]`.
    private func assertQuadrants(_ grid: CellGrid, _ expected: [CellColor], _ mode: ColorMode,
                                 file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual([grid.columns, grid.rows], [8, 4], file: file, line: line)
        for row in 0..<4 {
            for column in 0..<8 {
                let quadrant = (row / 2) * 2 + column / 4
                XCTAssertEqual(visibleColors(grid[column, row]), [expected[quadrant]],
                               "\(mode) cell (\(column), \(row))", file: file, line: line)
            }
        }
    }

    func testTruecolorShowsTheExactQuadrantColours() {
        let grid = ChafaCellRenderer(mode: .truecolor).render(quadrants(), columns: 8, rows: 4)
        assertQuadrants(grid, [.rgb(0xFF0000), .rgb(0x00FF00), .rgb(0x0000FF), .rgb(0xFFFF00)], .truecolor)
    }

    func testIndexed240UsesTheColourCubeAboveTheFirst16() {
        let grid = ChafaCellRenderer(mode: .indexed240).render(quadrants(), columns: 8, rows: 4)
        // xterm's 6x6x6 cube: 16 + 36 r + 6 g + b.
        assertQuadrants(grid, [.indexed(196), .indexed(46), .indexed(21), .indexed(226)], .indexed240)
        assertPens(grid, in: 16...255)
    }

    func testIndexed16UsesTheBrightANSIColours() {
        let grid = ChafaCellRenderer(mode: .indexed16).render(quadrants(), columns: 8, rows: 4)
        assertQuadrants(grid, [.indexed(9), .indexed(10), .indexed(12), .indexed(11)], .indexed16)
        assertPens(grid, in: 0...15)
    }

    func testIndexed8UsesTheBasicANSIColours() {
        let grid = ChafaCellRenderer(mode: .indexed8).render(quadrants(), columns: 8, rows: 4)
        assertQuadrants(grid, [.indexed(1), .indexed(2), .indexed(4), .indexed(3)], .indexed8)
        assertPens(grid, in: 0...7)
    }

    func testMonochromeDrawsShapesInDefaultColours() {
        // White top-left on black: the shape alone carries the picture.
        let image = quadrants([.white, .black, .black, .black])
        let grid = ChafaCellRenderer(mode: .monochrome).render(image, columns: 8, rows: 4)
        XCTAssertEqual(grid.textLines, ["████    ", "████    ", "        ", "        "])
        XCTAssert(grid.cells.allSatisfy { $0.foreground == .default && $0.background == .default })
        let colourful = ChafaCellRenderer(mode: .monochrome).render(quadrants(), columns: 8, rows: 4)
        XCTAssert(colourful.cells.allSatisfy { $0.foreground == .default && $0.background == .default })
    }

    func testEveryModeOnAPhotoUsesPensInRangeAndOnlyNarrowSymbols() throws {
        let photo = TestImages.gradient(width: 96, height: 64).withGaussianNoise(sigma: 40, seed: 11)
            .rotated(degrees: 20)
        for symbols in CellSymbols.allCases {
            for mode in ColorMode.allCases {
                let grid = ChafaCellRenderer(mode: mode, symbols: symbols).render(photo, columns: 30, rows: 12)
                assertPens(grid, in: mode.penRange)
                for cell in grid.cells {
                    XCTAssert(symbols.allows(cell.character), "\(mode) \(symbols): U+\(String(cell.character.value, radix: 16))")
                    XCTAssertEqual(Self.columnWidth(cell.character), 1, "\(mode) \(symbols): U+\(String(cell.character.value, radix: 16))")
                }
            }
        }
    }

    /// Pens within `range` (nil: no pens at all, as in truecolor and monochrome).
    private func assertPens(_ grid: CellGrid, in range: ClosedRange<UInt8>?, file: StaticString = #filePath,
                            line: UInt = #line) {
        for cell in grid.cells {
            for color in [cell.foreground, cell.background] {
                if case .indexed(let pen) = color {
                    XCTAssert(range?.contains(pen) ?? false, "pen \(pen) outside \(String(describing: range))",
                              file: file, line: line)
                }
                if case .rgb = color, range != nil { XCTFail("rgb colour in an indexed mode", file: file, line: line) }
            }
        }
    }

    /// glibc's wcwidth in a UTF-8 locale: the width a terminal gives the character. (Glibc's
    /// Swift module leaves wcwidth out, so it is looked up at run time.)
    private static func columnWidth(_ character: Unicode.Scalar) -> Int32 {
        typealias WCWidth = @convention(c) (wchar_t) -> Int32
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "wcwidth"),
              let locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", nil) else { return -2 }
        defer { freelocale(locale) }
        let previous = uselocale(locale)
        defer { uselocale(previous) }
        return unsafeBitCast(symbol, to: WCWidth.self)(wchar_t(character.value))
    }

    func testFitKeepsTheAspectForTheCellShape() {
        // 384x256 (3:2) with cells twice as tall as wide: 24 columns need 8 rows.
        XCTAssert(CellGeometry.fit(imageWidth: 384, imageHeight: 256, maxColumns: 24, maxRows: 12) == (24, 8))
        // Portrait: the rows bind.
        XCTAssert(CellGeometry.fit(imageWidth: 256, imageHeight: 384, maxColumns: 24, maxRows: 12) == (16, 12))
        XCTAssert(CellGeometry.fit(imageWidth: 32, imageHeight: 32, maxColumns: 24, maxRows: 12) == (24, 12))
        XCTAssert(CellGeometry.fit(imageWidth: 32, imageHeight: 32, maxColumns: 24, maxRows: 12, fontRatio: 1) == (12, 12))
        XCTAssert(CellGeometry.fit(imageWidth: 1000, imageHeight: 1, maxColumns: 10, maxRows: 10) == (10, 1))
        // chafa's own calculation agrees within a cell.
        for (w, h) in [(384, 256), (256, 384), (32, 32), (500, 120), (120, 500)] {
            var columns: Int32 = 40, rows: Int32 = 20
            chafa_calc_canvas_geometry(Int32(w), Int32(h), &columns, &rows, 0.5, 1, 0)
            let ours = CellGeometry.fit(imageWidth: w, imageHeight: h, maxColumns: 40, maxRows: 20)
            XCTAssertLessThanOrEqual(abs(ours.columns - Int(columns)), 1, "\(w)x\(h)")
            XCTAssertLessThanOrEqual(abs(ours.rows - Int(rows)), 1, "\(w)x\(h)")
        }
    }

    func testColorModeFromTerminalColours() {
        XCTAssertEqual(ColorMode(terminalColors: 1 << 24), .truecolor)
        XCTAssertEqual(ColorMode(terminalColors: 256), .indexed240)
        XCTAssertEqual(ColorMode(terminalColors: 88), .indexed16)
        XCTAssertEqual(ColorMode(terminalColors: 8), .indexed8)
        XCTAssertEqual(ColorMode(terminalColors: 2), .monochrome)
        XCTAssertEqual(ColorMode(rawValue: "256"), .indexed240)
    }
}

final class CellRendererConcurrencyTests: XCTestCase {
    func testConcurrentRendersEqualSerialOnes() {
        let images = (0..<4).map { TestImages.gradient(width: 64 + 16 * $0, height: 48).withGaussianNoise(sigma: 20, seed: UInt64($0)) }
        let renderer = ChafaCellRenderer(mode: .truecolor)
        let serial = images.map { renderer.render($0, columns: 16, rows: 8) }
        DispatchQueue.concurrentPerform(iterations: 16) { i in
            XCTAssertEqual(renderer.render(images[i % 4], columns: 16, rows: 8), serial[i % 4])
        }
    }

    func testThumbnailKeepsTheAspect() {
        let grid = ChafaCellRenderer(mode: .indexed240).thumbnail(TestImages.gradient(width: 384, height: 256),
                                                                   maxColumns: 24, maxRows: 12)
        XCTAssertEqual([grid.columns, grid.rows], [24, 8])
    }
}

/// The picture of a cell grid (the explorer's screenshot): colours, block elements, braille.
final class CellGridPictureTests: XCTestCase {
    func testCellsAreDrawnWithTheirColoursBlocksAndDots() {
        var grid = CellGrid(columns: 3, rows: 1)
        grid[0, 0] = Cell(character: "\u{2580}", foreground: .rgb(0xFF0000), background: .rgb(0x0000FF))  // upper half
        grid[1, 0] = Cell(character: "\u{2801}", foreground: .rgb(0x00FF00), background: .rgb(0x000000))  // braille dot 1
        grid[2, 0] = Cell(character: "A", foreground: .default, background: .default)
        let picture = CellGridPicture { color, isForeground in
            if case .rgb(let rgb) = color { return rgb }
            return isForeground ? 0xFFFFFF : 0x101010
        }.render(grid)
        XCTAssertEqual(picture.width, 3 * CellGridPicture.cellWidth)
        XCTAssertEqual(picture.height, CellGridPicture.cellHeight)
        let top = picture[2, 2], bottom = picture[2, CellGridPicture.cellHeight - 2]
        XCTAssertEqual([top.r, top.g, top.b], [255, 0, 0], "the upper half is the foreground")
        XCTAssertEqual([bottom.r, bottom.g, bottom.b], [0, 0, 255], "the lower half is the background")
        let dot = picture[CellGridPicture.cellWidth + CellGridPicture.cellWidth / 4, CellGridPicture.cellHeight / 8]
        XCTAssertEqual([dot.r, dot.g, dot.b], [0, 255, 0], "braille dot 1 at the top left")
        let empty = picture[CellGridPicture.cellWidth + 3 * CellGridPicture.cellWidth / 4, CellGridPicture.cellHeight - 3]
        XCTAssertEqual([empty.r, empty.g, empty.b], [0, 0, 0], "no dot 8")
        var ink = 0
        for y in 0..<CellGridPicture.cellHeight { for x in 2 * CellGridPicture.cellWidth..<3 * CellGridPicture.cellWidth where picture[x, y].r == 255 { ink += 1 } }
        XCTAssertGreaterThan(ink, 20, "the letter is drawn")
    }
}
