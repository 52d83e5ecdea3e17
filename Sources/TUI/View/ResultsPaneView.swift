import Basics
import Render

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
        let tiles = state.resultTiles
        let shown = min(result.neighbours.count, tiles.capacity)
        var title = "Top \(result.request.top) of \(workspace.encodedCount) by \(result.request.mode)"
        if shown < result.neighbours.count { title += " (\(shown) fit)" }
        // Where the shown neighbours' distance groups end, and how large each is.
        var groups: [String] = []
        for (i, n) in result.neighbours.prefix(shown).enumerated() where i + 1 == shown || result.neighbours[i + 1].distance != n.distance {
            groups.append(n.tieGroupSize > 1 ? "d\(n.distance): \(n.tieRank) of \(n.tieGroupSize) tied" : "d\(n.distance): 1")
        }
        if groups.contains(where: { $0.hasSuffix("tied") }) { title += " | " + groups.joined(separator: ", ") }
        if result.neighbours.isEmpty { title += ": nothing found" }
        if state.neighbourHeatmaps { title += " | their attention" }
        screen.put(fitted(title, layout.results.width), x: layout.results.x, y: header, style: .bold)
        for i in 0..<shown {
            let neighbour = result.neighbours[i]
            let frame = tiles.thumbnailFrame(i)
            ScreenRenderer.drawThumbnail(&screen, state.neighbourThumbnail(neighbour.item, columns: tiles.thumbColumns,
                                                                           rows: tiles.thumbRows), in: frame, state)
            let (mark, color) = ScreenRenderer.mark(neighbour.relevant)
            let selected = i == state.selection && state.overlay == .none
            // "d0 1/171": the tie group's size, when the distance is shared (ties go by gallery order).
            let tie = neighbour.tieGroupSize > 1 ? " \(neighbour.tieRank)/\(neighbour.tieGroupSize)" : ""
            let caption = "\(mark)\(i + 1) d\(neighbour.distance)\(tie) \(workspace.labelText(workspace.itemLabels[neighbour.item]))"
            screen.put(fitted(caption, frame.width), x: frame.x, y: frame.y + frame.height, foreground: color,
                       style: selected ? [.reverse, .bold] : [])
        }
    }
}
