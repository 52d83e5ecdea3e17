import Basics
import Render

/// Help, the open-file prompt and the model list, drawn over the panes.
enum OverlayView {
    static func draw(_ screen: inout CellGrid, _ state: AppState, _ layout: ScreenLayout) {
        switch state.overlay {
        case .none: return
        case .help:
            let width = min(layout.columns - 4, 76)
            let lines = KeyBindings.all.map { keys, action in
                keys.padding(toLength: 18, withPad: " ", startingAt: 0) + action
            } + ["", "any key closes this help"]
            box(&screen, layout, width: width, title: "keys", lines: lines)
        case .prompt(let prompt):
            let width = min(layout.columns - 4, 76)
            var lines = ["Open an image as the query (Tab completes, Enter opens, Esc cancels):", "> " + tail(prompt.text + "_", width - 6)]
            if !prompt.candidates.isEmpty {
                lines.append("")
                lines.append(fitted(prompt.candidates.prefix(40).joined(separator: "  "), width - 4))
            }
            box(&screen, layout, width: width, title: "open", lines: lines)
        case .models(let selected):
            let width = min(layout.columns - 4, 76)
            let lines = state.choices.enumerated().map { i, choice in
                (i == selected ? "> " : "  ") + (i == state.activeChoice ? "* " : "  ") + "\(choice.origin) on \(choice.gallerySpec)"
            } + ["", "Enter opens, v compares with the open one, Esc closes"]
            box(&screen, layout, width: width, title: "models and galleries", lines: lines)
        case .health:
            let width = min(layout.columns - 4, 76)
            box(&screen, layout, width: width, title: "code health", lines: healthLines(state, width: width - 4))
        }
    }

    /// The open codes' figures (as `hashscope index info` prints them), a bar per bit, and the
    /// current query's Hamming distances to the gallery, relevant and not, as braille plots.
    static func healthLines(_ state: AppState, width: Int) -> [String] {
        guard let workspace = state.workspace, let health = workspace.health else { return ["no codes open"] }
        var lines = CodeHealthText.summary(count: health.count, bits: health.bits, distinct: health.distinctCodes,
                                           largestGroups: health.largestGroups) + [
            CodeHealthText.balance(health.onesFraction),
            CodeHealthText.correlation(health.meanAbsoluteCorrelation),
            "bits 1...\(health.bits), bar height = share of ones:",
            CodeHealthText.balanceBars(health.onesFraction),
        ]
        if let result = state.result, !result.distanceGroups.isEmpty {
            let distances = result.distanceGroups.indices.map(Double.init)
            let plotColumns = max(10, min(60, width - 10))
            if result.queryLabels != nil {
                lines.append("distances from the query, relevant items (count by distance):")
                lines += BrailleLinePlot.draw(x: distances, y: result.distanceGroups.map { Double($0.relevant) },
                                              columns: plotColumns, rows: 3, xLabel: "", yLabel: "").dropLast()
                lines.append("not relevant:")
                lines += BrailleLinePlot.draw(x: distances, y: result.distanceGroups.map { Double($0.items - $0.relevant) },
                                              columns: plotColumns, rows: 3, xLabel: "Hamming distance", yLabel: "")
            } else {
                lines.append("distances from the query (count by distance; a file query has no labels):")
                lines += BrailleLinePlot.draw(x: distances, y: result.distanceGroups.map { Double($0.items) },
                                              columns: plotColumns, rows: 4, xLabel: "Hamming distance", yLabel: "")
            }
        }
        return lines + ["any key closes this panel"]
    }

    private static func box(_ screen: inout CellGrid, _ layout: ScreenLayout, width: Int, title: String, lines: [String]) {
        let height = min(layout.rows - 2, lines.count + 2)
        let rect = Rect(x: (layout.columns - width) / 2, y: max(1, (layout.rows - height) / 2), width: width, height: height)
        screen.fill(rect, with: .blank)
        screen.frame(rect, title: title)
        for (i, line) in lines.prefix(height - 2).enumerated() {
            screen.put(fitted(line, width - 4), x: rect.x + 2, y: rect.y + 1 + i)
        }
    }

    /// The end of a long path, which is the part being typed.
    private static func tail(_ text: String, _ width: Int) -> String {
        text.count <= width ? text : "~" + String(text.suffix(max(0, width - 1)))
    }
}
