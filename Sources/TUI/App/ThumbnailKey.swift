import Services

/// One thumbnail the screen shows: which picture, at which cell size. The worker renders them
/// (chafa) and the state keeps the ones on screen, so rendering the screen stays pure.
public struct ThumbnailKey: Hashable, Sendable {
    public enum Subject: Hashable, Sendable {
        /// A gallery (database) item as stored.
        case item(Int)
        /// An item of the query set as stored (the browse pane): the gallery's own item for a
        /// model, the query list's image for a codes folder.
        case queryItem(Int)
        /// A gallery item under its own attention map (the model's attention when it is encoded).
        case itemHeatmap(Int)
        /// The current query as opened.
        case queryOriginal(QueryRequest)
        /// The current query as augmented (what was encoded).
        case queryAugmented(QueryRequest)
        /// The augmented query under its attention heatmap.
        case queryHeatmap(QueryRequest)
    }

    public var subject: Subject
    public var columns: Int
    public var rows: Int

    public init(_ subject: Subject, columns: Int, rows: Int) {
        self.subject = subject
        self.columns = columns
        self.rows = rows
    }
}
