import Basics
import Render

/// The query: as opened, as bent, its heatmap; its label, bends and scores; a sweep plot.
enum QueryPaneView {
    static func draw(_ screen: inout CellGrid, _ state: AppState, _ layout: ScreenLayout) {
        let pane = layout.query
        for row in pane.y..<(pane.y + pane.height) { screen.put("|", x: pane.x + pane.width, y: row, style: .dim) }
        screen.put("Query", x: pane.x + 1, y: pane.y, style: .bold)
        guard let result = state.result else {
            if state.source != nil && state.searching { screen.put("encoding...", x: pane.x + 1, y: pane.y + 2, foreground: ScreenRenderer.yellow) }
            return
        }
        let request = result.request
        let columns = layout.queryThumbColumns, rows = layout.queryThumbRows
        ScreenRenderer.drawThumbnail(&screen, ThumbnailKey(.queryOriginal(request), columns: columns, rows: rows), in: layout.originalSlot, state)
        let captionRow = layout.originalSlot.y + rows
        screen.put("opened", x: layout.originalSlot.x, y: captionRow, style: .dim)
        if !request.augmentation.isIdentity {
            ScreenRenderer.drawThumbnail(&screen, ThumbnailKey(.queryAugmented(request), columns: columns, rows: rows),
                                         in: layout.augmentedSlot, state)
            screen.put("bent", x: layout.augmentedSlot.x, y: captionRow, style: .dim)
        }
        if result.heatmap != nil {
            ScreenRenderer.drawThumbnail(&screen, ThumbnailKey(.queryHeatmap(request), columns: columns, rows: rows),
                                         in: layout.heatmapSlot, state)
            screen.put("attention", x: layout.heatmapSlot.x + layout.heatmapSlot.width + 1, y: layout.heatmapSlot.y, style: .dim)
        }

        // Without a heatmap its slot is free for text.
        var text = layout.queryText
        if result.heatmap == nil {
            text = Rect(x: text.x, y: layout.heatmapSlot.y, width: text.width, height: text.height + text.y - layout.heatmapSlot.y)
        }
        var y = text.y
        func line(_ s: String, _ color: CellColor = .default, _ style: CellStyle = []) {
            guard y < text.y + text.height else { return }
            screen.put(fitted(s, text.width), x: text.x, y: y, foreground: color, style: style)
            y += 1
        }
        if let w = state.workspace {
            switch request.source {
            case .item(let i):
                line("\(w.labelText(w.queryLabels[i]))  #\(i)", .default, .bold)
                line(w.queryIDs[i], .default, .dim)
            case .file(let path):
                line("file (no label)", .default, .bold)
                line(path, .default, .dim)
            }
        }
        if state.workspace?.hasNetwork == false {
            // Codes made elsewhere: the heatmap's slot says why it is empty.
            line("no model: codes only, so no bends", ScreenRenderer.cyan)
            line("and no attention heatmap", ScreenRenderer.cyan)
        } else {
            line("bend: " + (request.augmentation.isIdentity ? "none" : request.augmentation.description))
            if let folder = state.workspace?.codesFolder, let w = state.workspace {
                // Codes made elsewhere: an unbent query keeps its row's code, anything else is the model's.
                let own: Bool
                if case .item = request.source { own = request.augmentation.isIdentity } else { own = false }
                line(own ? "code: \(folder)'s row" : "code: encoded by \(w.modelName)", ScreenRenderer.cyan)
            }
        }
        if let w = result.withinRadius { line("\(w) within radius") }
        if let sweep = state.sweep {
            y += 1
            let plot = BrailleLinePlot.draw(x: sweep.points.map(\.strength), y: sweep.points.map(\.precision),
                                            columns: max(8, text.width - 10), rows: 3,
                                            xLabel: sweep.kind == .rotation ? "rotation (deg)" : "crop (kept)", yLabel: "P@\(sweep.top)")
            for plotLine in plot { line(plotLine, ScreenRenderer.cyan) }
        } else if let pending = state.sweepPending {
            y += 1
            line("sweeping \(pending.rawValue)...", ScreenRenderer.yellow)
        }
    }
}
