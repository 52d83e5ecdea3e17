/// The `o` prompt: a path being typed, with Tab completion of directories and image files.
public struct PathPrompt: Hashable, Sendable {
    public var text: String
    /// Candidates of the last Tab that was ambiguous, shown under the prompt.
    public var candidates: [String] = []

    public init(text: String) { self.text = text }

    /// One directory entry as completion sees it.
    public struct Entry: Hashable, Sendable {
        public var name: String
        public var isDirectory: Bool
        public init(name: String, isDirectory: Bool) {
            self.name = name
            self.isDirectory = isDirectory
        }
    }

    /// Tab: extend the last path component to the longest prefix shared by the entries of its
    /// folder that start with it (hidden ones only when asked for), adding "/" after a unique
    /// directory; with several candidates left, list them. `list(folder)` returns nil for a
    /// folder that cannot be read.
    public mutating func complete(list: (String) -> [Entry]?) {
        let slash = text.lastIndex(of: "/")
        let folderPart = slash.map { String(text[...$0]) } ?? ""
        let stem = slash.map { String(text[text.index(after: $0)...]) } ?? text
        guard let entries = list(folderPart.isEmpty ? "." : folderPart) else {
            candidates = []
            return
        }
        let matches = entries.filter { $0.name.hasPrefix(stem) && (stem.hasPrefix(".") || !$0.name.hasPrefix(".")) }
            .sorted { $0.name < $1.name }
        guard let first = matches.first else {
            candidates = []
            return
        }
        if matches.count == 1 {
            text = folderPart + first.name + (first.isDirectory ? "/" : "")
            candidates = []
            return
        }
        var common = first.name
        for match in matches.dropFirst() {
            while !match.name.hasPrefix(common) { common.removeLast() }
        }
        text = folderPart + common
        candidates = matches.map { $0.name + ($0.isDirectory ? "/" : "") }
    }
}
