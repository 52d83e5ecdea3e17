import Basics
import Render
import TestSupport
import XCTest

final class ContactSheetTests: XCTestCase {
    private func sheet(results: Int = 7, title: String? = "DATH 48 bits: P@7 = 0.57") -> ContactSheet {
        let query = TestImages.gradient(width: 48, height: 32)
        let heatmap = Heatmap.overlay(AttentionMap(width: 3, height: 3, values: [0, 1, 0, 1, 5, 1, 0, 1, 0]),
                                      on: query, colorMap: .jet, alpha: 0.5)
        let items = (0..<results).map { i in
            SheetResult(image: TestImages.gradient(width: 32 + i, height: 32).rotated(degrees: Double(10 * i)),
                        rank: i + 1, distance: i, label: i % 2 == 0 ? "airplane" : "automobile-with-a-long-name",
                        isRelevant: i % 2 == 0)
        }
        return ContactSheet(query: query, queryCaption: ["query", "airplane"], heatmap: heatmap, results: items,
                            title: title, layout: ContactSheetLayout(tileSize: 64, columns: 4, border: 4))
    }

    func testLayoutSizeAndFrames() {
        let layout = ContactSheetLayout(tileSize: 64, columns: 4, border: 4, gap: 10, margin: 12)
        let size = layout.canvasSize(resultCount: 7, hasTitle: false)
        XCTAssertEqual(size.width, 2 * 12 + 4 * 72 + 3 * 10)
        XCTAssertEqual(size.height, 2 * 12 + 3 * layout.rowHeight + 2 * 10)  // header row + 2 result rows
        XCTAssertEqual(layout.frame(of: .query, hasTitle: false), PixelRect(x: 12, y: 12, width: 72, height: 72))
        XCTAssertEqual(layout.frame(of: .heatmap, hasTitle: false).x, 12 + 82)
        XCTAssertEqual(layout.frame(of: .result(5), hasTitle: false),
                       PixelRect(x: 12 + 82, y: 12 + 2 * (layout.rowHeight + 10), width: 72, height: 72))
    }

    func testRenderedSheetHasColouredBordersAndCaptions() {
        let sheet = sheet()
        let image = sheet.render()
        let layout = sheet.layout
        for index in 0..<7 {
            let frame = layout.frame(of: .result(index), hasTitle: true)
            let expected = index % 2 == 0 ? ContactSheet.relevantColor : ContactSheet.irrelevantColor
            // Middle of the left border, and of the top border.
            let left = image[frame.x + 1, frame.y + frame.height / 2]
            let top = image[frame.x + frame.width / 2, frame.y + 1]
            XCTAssert(left == (expected.r, expected.g, expected.b), "result \(index) left border")
            XCTAssert(top == (expected.r, expected.g, expected.b), "result \(index) top border")
            // Ink in the caption band under the tile.
            let band = (frame.maxY + 3)..<(frame.maxY + layout.captionHeight)
            XCTAssert(band.contains { y in (frame.x..<frame.maxX).contains { image[$0, y] == (0, 0, 0) } },
                      "result \(index) caption")
        }
        // Outside every tile and caption: white.
        XCTAssert(image[image.width - 1, image.height - 1] == (255, 255, 255))
        XCTAssert(image[2, 2] == (255, 255, 255))
    }

    func testJPEGDecodesToTheExpectedSizeWithGreenAndRedBorders() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path + "/sheet.jpg"
        let sheet = sheet(title: nil)
        try sheet.writeJPEG(to: path, quality: 90)
        let decoded = try ImageDecoder.decode(file: path)
        let size = sheet.layout.canvasSize(resultCount: 7, hasTitle: false)
        XCTAssertEqual([decoded.width, decoded.height], [size.width, size.height])
        for index in [0, 1] {
            let frame = sheet.layout.frame(of: .result(index), hasTitle: false)
            let (r, g, b) = decoded[frame.x + 2, frame.y + frame.height / 2]  // centre of a 4 px border
            if index == 0 {
                XCTAssert(Int(g) > Int(r) + 100 && Int(g) > Int(b) + 100, "green border, got \(r),\(g),\(b)")
            } else {
                XCTAssert(Int(r) > Int(g) + 100 && Int(r) > Int(b) + 100, "red border, got \(r),\(g),\(b)")
            }
        }
        // Writing over an existing file replaces it whole.
        try sheet.writeJPEG(to: path, quality: 50)
        XCTAssertEqual(try ImageDecoder.decode(file: path).width, size.width)
    }

    func testWritingIntoAMissingFolderIsANamedError() {
        XCTAssertThrowsError(try sheet().writeJPEG(to: "/nonexistent-folder/sheet.jpg")) { error in
            XCTAssert(error.localizedDescription.hasPrefix("/nonexistent-folder/sheet.jpg: cannot write file"),
                      error.localizedDescription)
        }
    }

    func testThumbnailsFitOrFillTheirTile() {
        let wide = TestImages.gradient(width: 80, height: 40)
        let sheetFit = ContactSheet(query: wide, results: [], layout: ContactSheetLayout(tileSize: 40), fit: .fit)
        let tile = sheetFit.layout.tile(of: .query, hasTitle: false)
        let fitted = sheetFit.render()
        // Fit: white bars above and below the 40x20 thumbnail.
        XCTAssert(fitted[tile.x + 20, tile.y + 2] == (255, 255, 255))
        XCTAssert(fitted[tile.x + 20, tile.y + 20] != (255, 255, 255))
        var sheetFill = sheetFit
        sheetFill.fit = .fill
        XCTAssert(sheetFill.render()[tile.x + 20, tile.y + 2] != (255, 255, 255))
    }

    func testBitmapFontCoversPrintableASCIIAndMeasuresText() {
        // Every printable character but space has ink; space has none.
        for code in UInt32(33)...126 {
            let scalar = Unicode.Scalar(code)!
            let ink = (0..<7).contains { row in (0..<5).contains { BitmapFont.isInk(scalar, column: $0, row: row) } }
            XCTAssert(ink, "glyph \(scalar) is empty")
        }
        XCTAssertFalse((0..<7).contains { row in (0..<5).contains { BitmapFont.isInk(" ", column: $0, row: row) } })
        XCTAssertEqual(BitmapFont.width(of: "d=12"), 23)
        XCTAssertEqual(BitmapFont.width(of: "ab", scale: 2), 22)
        XCTAssertEqual(BitmapFont.truncated("automobile", toWidth: 35), "autom~")
        XCTAssertEqual(BitmapFont.truncated("cat", toWidth: 35), "cat")
        // Non-ASCII draws as '?', not nothing.
        XCTAssertTrue(BitmapFont.isInk("é", column: 0, row: 1) == BitmapFont.isInk("?", column: 0, row: 1))
        var image = RGBImage(width: 12, height: 8, color: .white)
        BitmapFont.draw("1", into: &image, x: 0, y: 0, color: .black)
        XCTAssert(image[2, 0] == (0, 0, 0) && image[0, 0] == (255, 255, 255))  // "1": ..#.. on top
    }
}
