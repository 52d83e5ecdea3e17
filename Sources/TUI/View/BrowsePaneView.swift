import Services
import Basics
import Render

/// The query set (the gallery, or a codes folder's query list) as pages of thumbnails,
/// optionally one class, with a cursor.
enum BrowsePaneView {
    static func draw(_ screen: inout CellGrid, _ state: AppState, _ layout: ScreenLayout) {
        guard let workspace = state.workspace else { return }
        let items = state.browseItems, tiles = state.browseTiles
        let capacity = max(1, tiles.capacity), start = state.browsePageStart
        let filter = state.browseFilter.map { workspace.labelText([$0]) } ?? "all"
        let pages = max(1, (items.count + capacity - 1) / capacity)
        let title = (workspace.separateQueries == nil ? "Gallery " : "Queries ") + "\(workspace.queryListName): \(items.count) images, class \(filter) (Tab), page \(start / capacity + 1)/\(pages), Enter: query"
        screen.put(fitted(title, layout.results.width), x: layout.results.x, y: layout.results.y - 1, style: .bold)
        for (i, item) in items[min(start, items.count)..<min(items.count, start + capacity)].enumerated() {
            let frame = tiles.thumbnailFrame(i)
            ScreenRenderer.drawThumbnail(&screen, ThumbnailKey(.queryItem(item), columns: tiles.thumbColumns, rows: tiles.thumbRows), in: frame, state)
            let isQuery = state.source == .item(item)
            let caption = (isQuery ? "*" : "") + "\(item) " + workspace.labelText(workspace.queryLabels[item])
            screen.put(fitted(caption, frame.width), x: frame.x, y: frame.y + frame.height,
                       style: start + i == state.browseCursor && state.overlay == .none ? [.reverse, .bold] : [])
        }
    }
}
