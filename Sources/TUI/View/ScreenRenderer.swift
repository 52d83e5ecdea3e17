import Foundation
import Basics
import Render

/// State -> screen, purely: the same state always gives the same cells. The driver draws the
/// grid; tests compare its lines.
public enum ScreenRenderer {
    static let green = CellColor.indexed(2), red = CellColor.indexed(1), yellow = CellColor.indexed(3), cyan = CellColor.indexed(6)

    public static func render(_ state: AppState) -> CellGrid {
        var screen = CellGrid(columns: max(1, state.columns), rows: max(1, state.rows))
        let layout = state.layout
        guard layout.fits else {
            drawTooSmall(&screen, state)
            return screen
        }
        drawTitle(&screen, state, layout)
        QueryPaneView.draw(&screen, state, layout)
        switch state.pane {
        case .results: ResultsPaneView.draw(&screen, state, layout)
        case .browse: BrowsePaneView.draw(&screen, state, layout)
        }
        drawStatus(&screen, state, layout)
        OverlayView.draw(&screen, state, layout)
        return screen
    }

    private static func drawTooSmall(_ screen: inout CellGrid, _ state: AppState) {
        let lines = ["hashscope needs a terminal of at least \(ScreenLayout.minimumColumns) x \(ScreenLayout.minimumRows);",
                     "this one is \(state.columns) x \(state.rows). Enlarge it, or q to quit."]
        for (i, line) in lines.enumerated() {
            let y = screen.rows / 2 - 1 + i
            screen.put(line, x: max(0, (screen.columns - line.count) / 2), y: y)
        }
    }

    private static func drawTitle(_ screen: inout CellGrid, _ state: AppState, _ layout: ScreenLayout) {
        screen.fill(layout.title, with: Cell(character: " ", style: .reverse))
        var parts = ["hashscope"]
        if let w = state.workspace {
            if let folder = w.codesFolder {
                parts.append("codes \(folder) (\(w.bits) bits), bends by model \(w.modelName) (\(w.arch))")
            } else if w.hasNetwork {
                parts.append("model \(w.modelName) (\(w.arch), \(w.bits) bits)")
            } else {
                parts.append("codes \(w.modelName) (\(w.bits) bits, no model)")
            }
            if let queries = w.separateQueries { parts.append("queries \(queries.name), \(queries.ids.count) images") }
            parts.append("\(w.separateQueries == nil ? "" : "database ")\(w.galleryName), \(w.count) images")
            parts.append(state.mode.description)
        } else if let choice = state.loadingChoice.map({ state.choices[$0] }) {
            parts.append("opening \(choice.origin) on \(choice.gallerySpec)")
        }
        screen.put(fitted(" " + parts.joined(separator: " | "), layout.columns), x: 0, y: 0, style: [.reverse, .bold])
    }

    private static func drawStatus(_ screen: inout CellGrid, _ state: AppState, _ layout: ScreenLayout) {
        let y = layout.status.y
        let wide = layout.columns >= 110, gap = wide ? 2 : 1
        var x = 1
        if let result = state.result {
            if let p = result.precision {
                x = screen.put("P@\(result.request.top) \(format(p, 3))", x: x, y: y, foreground: p >= 0.5 ? green : red, style: .bold)
                // The tie-aware value: what the order of tied items cannot change.
                if let t = result.tieAwarePrecision { x = screen.put(" (ties \(format(t, 3)))", x: x, y: y) }
                x += gap
            }
            if let ap = result.averagePrecision {
                x = screen.put("AP \(format(ap, 4))", x: x, y: y)
                if let t = result.tieAwareAveragePrecision { x = screen.put(" (ties \(format(t, 4)))", x: x, y: y) }
                x += gap
            }
        }
        if let map = state.sessionMAP {
            let queries = wide ? " \(map.queries == 1 ? "query" : "queries")" : "q"
            x = screen.put("mAP \(format(map.value, 4)) (\(map.queries)\(queries))", x: x, y: y) + gap
        }
        let t = state.timings
        let times = [("encode", t.encode), ("search", t.search), ("draw", t.draw)].compactMap { name, value in
            value.map { "\(name) \(format($0, 1))" }
        }
        if !times.isEmpty { x = screen.put("ms: " + times.joined(separator: " "), x: x, y: y) + gap }
        if state.searching || state.loadingChoice != nil { screen.put("working...", x: x, y: y, foreground: yellow) }

        if let message = state.message {
            screen.put(fitted(message.text, layout.columns - 2), x: 1, y: y + 1, foreground: message.isError ? red : cyan,
                       style: message.isError ? .bold : [])
        } else {
            let hints: String
            if state.workspace?.hasNetwork == false {
                hints = layout.columns >= 110 ? "? help  g queries  m mode  + - top n  i codes  w save  q quit  (codes only: no bends)"
                    : "?:help g:queries m:mode +-:top i:codes w:save q:quit (codes only)"
            } else {
                let list = state.workspace?.separateQueries == nil ? "gallery" : "queries"
                hints = layout.columns >= 110
                    ? "? help  g \(list)  o open  r/R rotate  c crop  b/B light  f flip  h heatmap  m mode  s sweep  w save  q quit"
                    : "?:help g:\(list) o:open rRcbBfnx:bend h:heat m:mode s:sweep w:save q:quit"
            }
            screen.put(fitted(hints, layout.columns - 2), x: 1, y: y + 1, style: .dim)
        }
    }

    static func format(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

    /// "+" right class, "x" wrong, " " unknown, in green / red: the symbol carries it in monochrome.
    static func mark(_ relevant: Bool?) -> (String, CellColor) {
        switch relevant {
        case true?: return ("+", green)
        case false?: return ("x", red)
        case nil: return (" ", .default)
        }
    }

    /// A thumbnail, or a dotted placeholder while it is being made.
    static func drawThumbnail(_ screen: inout CellGrid, _ key: ThumbnailKey, in rect: Rect, _ state: AppState) {
        if let grid = state.thumbnails[key] {
            screen.blit(grid, centredIn: rect)
        } else {
            screen.fill(rect, with: Cell(character: ".", style: .dim))
        }
    }
}
