import Foundation
import Services
import Basics
import Render

/// The interactive loop: terminal events and worker answers go through the update, effects go
/// to the worker, and every change is rendered and drawn. Keys never wait for the worker.
public enum ExplorerApp {
    /// Runs until `q`, Ctrl-C or a terminating signal; the terminal is restored on every way out.
    /// Throws (before touching the terminal) when there is no usable terminal. `opened` holds
    /// workspaces the caller has opened already (to fail before the screen starts).
    public static func run(choices: [WorkspaceChoice], cacheFolder: String?, saveFolder: String, threads: Int = 2,
                           opened: [WorkspaceChoice: any SearchWorkspace] = [:]) throws {
        let driver = try TerminalDriver()
        defer { driver.restore() }
        var state = AppState(columns: driver.columns, rows: driver.rows, colorMode: driver.colorMode, choices: choices)
        let update = AppUpdate(listDirectory: DirectoryListing.entries, saveFolder: saveFolder)
        let queue = ExplorerQueue(worker: ExplorerWorker(colorMode: driver.colorMode, cacheFolder: cacheFolder, threads: threads,
                                                                 opened: opened),
                                  wake: { [waker = driver.waker] in waker.wake() })
        defer { queue.stop() }
        queue.submit(update.start(&state))
        var dirty = true
        while !state.quitting {
            if dirty {
                let start = DispatchTime.now()
                driver.draw(ScreenRenderer.render(state))
                state.timings.draw = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
                dirty = false
            }
            var effects: [Effect] = []
            if let event = driver.nextEvent(timeout: 500) {
                effects += update.update(&state, .terminal(event))
                dirty = true
            }
            for event in queue.drain() {
                effects += update.update(&state, event)
                dirty = true
            }
            queue.submit(effects)
        }
    }
}

/// Directory entries for the path prompt's completion.
enum DirectoryListing {
    @Sendable static func entries(_ folder: String) -> [PathPrompt.Entry]? {
        let expanded = (folder as NSString).expandingTildeInPath
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: expanded) else { return nil }
        return names.map { name in
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: (expanded as NSString).appendingPathComponent(name), isDirectory: &isDirectory)
            return PathPrompt.Entry(name: name, isDirectory: isDirectory.boolValue)
        }
    }
}
