import Foundation
import Services
import Basics
import Render

/// The explorer without a terminal: events go through the same update, effects run at once on
/// the calling thread, and each step ends with the rendered screen. `bench tui` times key
/// presses with it; tests use it to drive a real workspace.
public final class HeadlessExplorer {
    public private(set) var state: AppState
    private let update: AppUpdate
    private let worker: ExplorerWorker

    public init(choices: [WorkspaceChoice], columns: Int, rows: Int, colorMode: ColorMode, cacheFolder: String?,
                saveFolder: String, threads: Int = 2, opened: [WorkspaceChoice: any SearchWorkspace] = [:]) {
        state = AppState(columns: columns, rows: rows, colorMode: colorMode, choices: choices)
        update = AppUpdate(listDirectory: DirectoryListing.entries, saveFolder: saveFolder)
        worker = ExplorerWorker(colorMode: colorMode, cacheFolder: cacheFolder, threads: threads, opened: opened)
    }

    /// Opens the first choice and answers its first search.
    @discardableResult
    public func start() -> CellGrid {
        run(update.start(&state))
        return ScreenRenderer.render(state)
    }

    /// One terminal event through to the new screen, with every effect it causes performed.
    @discardableResult
    public func send(_ event: TerminalEvent) -> CellGrid {
        run(update.update(&state, .terminal(event)))
        return ScreenRenderer.render(state)
    }

    private func run(_ effects: [Effect]) {
        var queue = effects
        while !queue.isEmpty {
            let effect = queue.removeFirst()
            var events: [AppEvent] = []
            worker.perform(effect) { events.append($0) }
            for event in events { queue += update.update(&state, event) }
        }
    }
}
