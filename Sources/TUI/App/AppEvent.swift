import Services
import Basics
import Render

/// What changes the state: the terminal, and the worker's answers.
public enum AppEvent: Sendable {
    case terminal(TerminalEvent)
    case workspaceProgress(choice: Int, done: Int, total: Int)
    case workspaceOpened(choice: Int, WorkspaceSummary)
    case workspaceFailed(choice: Int, String)
    case searchFinished(generation: Int, QueryResult, [ThumbnailKey: CellGrid])
    case searchFailed(generation: Int, String)
    /// The same request through the comparison model (`v`).
    case comparisonFinished(generation: Int, QueryResult, [ThumbnailKey: CellGrid])
    case comparisonFailed(generation: Int, String)
    case thumbnailsReady([ThumbnailKey: CellGrid])
    case sweepFinished(generation: Int, SweepResult)
    case sweepFailed(generation: Int, String)
    case saved(String)
    case saveFailed(String)
}

/// What the update asks the outside world to do; the runtime performs it (a worker thread for
/// anything slow) and answers with events.
public enum Effect: Hashable, Sendable {
    case openWorkspace(choice: Int, WorkspaceChoice)
    /// Encode and search `request`, and render the thumbnails of the result at these sizes.
    case search(generation: Int, QueryRequest, thumbnails: ThumbnailSizes)
    /// The same search through a second model on the same gallery (opened on first use).
    case compare(generation: Int, QueryRequest, WorkspaceChoice, thumbnails: ThumbnailSizes)
    /// Render these (missing) thumbnails.
    case thumbnails([ThumbnailKey])
    case sweep(generation: Int, QueryRequest, SweepKind)
    /// Write the current result as a contact sheet JPEG and JSON, under this path stem.
    case save(stem: String)
    case quit
}

/// The cell sizes the current layout draws a result at.
public struct ThumbnailSizes: Hashable, Sendable {
    public var queryColumns: Int, queryRows: Int
    public var neighbourColumns: Int, neighbourRows: Int

    public init(queryColumns: Int, queryRows: Int, neighbourColumns: Int, neighbourRows: Int) {
        self.queryColumns = queryColumns
        self.queryRows = queryRows
        self.neighbourColumns = neighbourColumns
        self.neighbourRows = neighbourRows
    }
}
