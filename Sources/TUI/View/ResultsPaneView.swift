import Foundation
import Basics
import Render
import Services

/// The top-n neighbours: thumbnails with rank, Hamming distance, label and a right/wrong mark.
enum ResultsPaneView {
    static func draw(_ screen: inout CellGrid, _ state: AppState, _ layout: ScreenLayout) {
        let header = layout.results.y - 1
        guard let workspace = state.workspace else {
            if let progress = state.loadingProgress {
                screen.put("encoding the gallery: \(progress.done) of \(progress.total) images", x: layout.results.x, y: header,
                           foreground: ScreenRenderer.yellow)
            } else if state.loadingChoice != nil {
                screen.put("opening...", x: layout.results.x, y: header, foreground: ScreenRenderer.yellow)
            }
            return
        }
        guard let result = state.result else { return }
        let split = state.comparisonChoice != nil
        let only = state.onlyInOne
        drawResult(&screen, result, state, tiles: state.resultTiles, header: header, count: workspace.encodedCount,
                   heading: split ? "A " + workspace.modelName + ": " : "", onlyInOne: only, heatmaps: state.neighbourHeatmaps)
        guard split, let other = state.comparisonChoice else { return }
        let lowerHeader = layout.comparisonResults.y - 1
        let name = "B " + state.choices[other].shortName
        guard let comparison = state.comparison else {
            screen.put(fitted(name + ": searching...", layout.results.width), x: layout.results.x, y: lowerHeader,
                       foreground: ScreenRenderer.yellow)
            return
        }
        var scores = ""
        if let p = comparison.precision { scores += " P@\(comparison.request.top) " + ScreenRenderer.format(p, 3) }
        if let t = comparison.tieAwarePrecision { scores += " (ties " + ScreenRenderer.format(t, 3) + ")" }
        if let ap = comparison.averagePrecision { scores += " AP " + ScreenRenderer.format(ap, 4) }
        drawResult(&screen, comparison, state, tiles: state.comparisonTiles, header: lowerHeader, count: workspace.encodedCount,
                   heading: name + scores + " | ", onlyInOne: only, heatmaps: false)
    }

    /// One result's tiles under a header line; `onlyInOne` marks (with `*`) neighbours the other
    /// model of a comparison did not return.
    private static func drawResult(_ screen: inout CellGrid, _ result: QueryResult, _ state: AppState, tiles: TileGrid, header: Int,
                                   count: Int, heading: String, onlyInOne: Set<Int>, heatmaps: Bool) {
        guard let workspace = state.workspace else { return }
        let shown = min(result.neighbours.count, tiles.capacity)
        var title = heading + "Top \(result.request.top) of \(count) by \(result.request.mode)"
        if shown < result.neighbours.count { title += " (\(shown) fit)" }
        if result.neighbours.isEmpty { title += ": nothing found" }
        if heatmaps { title += " | their attention" }
        // Where the shown neighbours' distance groups end, and how large each is.
        var groups: [String] = []
        for (i, n) in result.neighbours.prefix(shown).enumerated() where i + 1 == shown || result.neighbours[i + 1].distance != n.distance {
            groups.append(n.tieGroupSize > 1 ? "d\(n.distance): \(n.tieRank) of \(n.tieGroupSize) tied" : "d\(n.distance): 1")
        }
        if groups.contains(where: { $0.hasSuffix("tied") }) { title += " | " + groups.joined(separator: ", ") }
        if !onlyInOne.isEmpty { title += " | * only here" }
        let area = tiles.area
        screen.put(fitted(title, area.width), x: area.x, y: header, style: .bold)
        for i in 0..<shown {
            let neighbour = result.neighbours[i]
            let frame = tiles.thumbnailFrame(i)
            let key = heatmaps ? ThumbnailKey(.itemHeatmap(neighbour.item), columns: tiles.thumbColumns, rows: tiles.thumbRows)
                : ThumbnailKey(.item(neighbour.item), columns: tiles.thumbColumns, rows: tiles.thumbRows)
            ScreenRenderer.drawThumbnail(&screen, key, in: frame, state)
            let (mark, color) = ScreenRenderer.mark(neighbour.relevant)
            let selected = i == state.selection && state.overlay == .none && heading.hasPrefix("B ") == false
            // "d0 1/171": the tie group's size, when the distance is shared (ties go by gallery order).
            let tie = neighbour.tieGroupSize > 1 ? " \(neighbour.tieRank)/\(neighbour.tieGroupSize)" : ""
            let only = onlyInOne.contains(neighbour.item) ? "*" : ""
            let caption = "\(mark)\(i + 1)\(only) d\(neighbour.distance)\(tie) \(workspace.labelText(workspace.itemLabels[neighbour.item]))"
            screen.put(fitted(caption, frame.width), x: frame.x, y: frame.y + frame.height, foreground: color,
                       style: selected ? [.reverse, .bold] : [])
        }
    }
}
