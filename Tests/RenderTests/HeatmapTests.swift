import Basics
import Render
import TestSupport
import XCTest

final class HeatmapTests: XCTestCase {
    private let image = TestImages.gradient(width: 12, height: 8)
    /// 2x2, min at the top-left, max at the bottom-right, any range.
    private let map = AttentionMap(width: 2, height: 2, values: [-3, 1, 2, 5])

    func testNormalisationIsMinMaxAndSurvivesConstantAndNonFiniteMaps() {
        XCTAssertEqual(map.normalised().values, [0, 0.5, 0.625, 1])
        XCTAssertEqual(AttentionMap(width: 2, height: 1, values: [4, 4]).normalised().values, [0, 0])
        XCTAssertEqual(AttentionMap(width: 3, height: 1, values: [.nan, 2, 6]).normalised().values, [0, 0, 1])
        XCTAssertEqual(AttentionMap(width: 2, height: 1, values: [.infinity, .nan]).normalised().values, [0, 0])
        XCTAssertNil(AttentionMap(width: 1, height: 1, values: [.nan]).finiteRange)
    }

    func testUpsamplingIsBilinearWithPixelCentres() {
        // 2 -> 4 samples: centres at 0.25, 0.75 of a source pixel: x = -0.25 (clamped), 0.25, 0.75, 1.25 (clamped).
        let row = AttentionMap(width: 2, height: 1, values: [0, 1]).resampled(width: 4, height: 1)
        assertClose(row.values, [0, 0.25, 0.75, 1], atol: 1e-6)
        let up = map.normalised().resampled(width: 12, height: 8)
        XCTAssertEqual(up.values.first, 0)
        XCTAssertEqual(up.values.last, 1)
        XCTAssert(up.values.allSatisfy { (0...1).contains($0) })
    }

    func testAlphaZeroIsTheImageOneIsTheColourMapHalfIsTheAverage() {
        let coloured = Heatmap.colorized(map, width: 12, height: 8, colorMap: .jet)
        XCTAssertEqual(Heatmap.overlay(map, on: image, colorMap: .jet, alpha: 0), image)
        XCTAssertEqual(Heatmap.overlay(map, on: image, colorMap: .jet, alpha: 1), coloured)
        let half = Heatmap.overlay(map, on: image, colorMap: .jet, alpha: 0.5)
        for i in [0, 5, 77, half.pixels.count - 1] {
            let expected = (Int(image.pixels[i]) + Int(coloured.pixels[i]) + 1) / 2  // round half up
            XCTAssertEqual(Int(half.pixels[i]), expected, "channel value \(i)")
        }
    }

    func testMinimumMapsToTheFirstEntryAndMaximumToTheLast() {
        for colorMap in ColorMap.allCases {
            let coloured = Heatmap.colorized(map, width: 12, height: 8, colorMap: colorMap)
            let first = colorMap.entries[0], last = colorMap.entries[255]
            XCTAssert(coloured[0, 0] == (first.r, first.g, first.b), "\(colorMap) top-left")
            XCTAssert(coloured[11, 7] == (last.r, last.g, last.b), "\(colorMap) bottom-right")
        }
    }

    func testTablesAreMatplotlibs() {
        // Spot values of matplotlib's maps (to_hex of cmap(i / 255)).
        XCTAssertEqual(ColorMap.viridis.entries[0].description, "#440154")
        XCTAssertEqual(ColorMap.viridis.entries[255].description, "#fde725")
        XCTAssertEqual(ColorMap.inferno.entries[0].description, "#000004")
        XCTAssertEqual(ColorMap.inferno.entries[255].description, "#fcffa4")
        XCTAssertEqual(ColorMap.jet.entries[0].description, "#000080")
        XCTAssertEqual(ColorMap.jet.entries[255].description, "#800000")
        XCTAssertEqual(ColorMap.jet.color(at: 0.5), ColorMap.jet.entries[128])
        XCTAssertEqual(ColorMap.jet.color(at: -1), ColorMap.jet.entries[0])
        XCTAssertEqual(ColorMap.jet.color(at: .nan), ColorMap.jet.entries[0])
        for colorMap in ColorMap.allCases { XCTAssertEqual(colorMap.entries.count, 256) }
    }

    func testUnknownColourMapListsTheKnownOnes() {
        XCTAssertEqual(try ColorMap(named: "Viridis"), .viridis)
        XCTAssertThrowsError(try ColorMap(named: "rainbow")) { error in
            XCTAssertEqual(error.localizedDescription, "unknown colour map 'rainbow' (known: jet, viridis, inferno)")
        }
    }

    func testLegendStripHasTheGradientAndEndMarks() {
        let strip = HeatmapLegend.strip(width: 100, colorMap: .viridis, minimum: 0.01, maximum: 2.5)
        XCTAssertEqual(strip.width, 100)
        XCTAssertEqual(strip.height, HeatmapLegend.height())
        let y = HeatmapLegend.margin + HeatmapLegend.barHeight / 2
        let first = ColorMap.viridis.entries[0], last = ColorMap.viridis.entries[255]
        XCTAssert(strip[HeatmapLegend.margin, y] == (first.r, first.g, first.b))
        XCTAssert(strip[100 - HeatmapLegend.margin - 1, y] == (last.r, last.g, last.b))
        // Tick marks under both ends of the bar.
        let tickY = HeatmapLegend.margin + HeatmapLegend.barHeight + 1
        XCTAssert(strip[HeatmapLegend.margin, tickY] == (0, 0, 0))
        XCTAssert(strip[100 - HeatmapLegend.margin - 1, tickY] == (0, 0, 0))
        // Labels: some ink in the text band, at the left and at the right.
        let textBand = (tickY + 4)..<strip.height
        let inkLeft = textBand.contains { row in (0..<30).contains { strip[$0, row] == (0, 0, 0) } }
        let inkRight = textBand.contains { row in (70..<100).contains { strip[$0, row] == (0, 0, 0) } }
        XCTAssert(inkLeft && inkRight)
        let attached = HeatmapLegend.attach(below: image, colorMap: .jet, minimum: 0, maximum: 1)
        XCTAssertEqual(attached.height, image.height + HeatmapLegend.height())
    }
}
