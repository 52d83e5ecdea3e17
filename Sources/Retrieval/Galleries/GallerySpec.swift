import Foundation

/// A gallery named on the command line as `kind:path` (the kinds: `hashscope data info --help`).
public struct GallerySpec: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case folder, corel, cifar10, fashionMNIST = "fashion-mnist", list
    }

    public let kind: Kind
    /// As given; empty only where the kind has a default location (fashion-mnist).
    public let path: String

    public init(kind: Kind, path: String) {
        self.kind = kind
        self.path = path
    }

    public init(parsing text: String) throws(GalleryError) {
        guard let colon = text.firstIndex(of: ":") else {
            throw GalleryError(source: text, message: "not a gallery spec: expected KIND:PATH with KIND one of \(Self.kindList)")
        }
        let name = String(text[..<colon])
        guard let kind = Kind(rawValue: name) else {
            throw GalleryError(source: text, message: "unknown gallery kind '\(name)': expected one of \(Self.kindList)")
        }
        let path = String(text[text.index(after: colon)...])
        if path.isEmpty && kind != .fashionMNIST {
            throw GalleryError(source: text, message: "\(name): needs a path, as in \(name):DIR")
        }
        self.init(kind: kind, path: path)
    }

    public var description: String { "\(kind.rawValue):\(path)" }

    /// The spec with an absolute, standardised path: the same gallery named from two working
    /// directories gives one string (what caches key on and index files record).
    public var canonical: String {
        guard !path.isEmpty else { return description }
        return "\(kind.rawValue):" + URL(fileURLWithPath: path).standardizedFileURL.path
    }

    static var kindList: String { Kind.allCases.map(\.rawValue).joined(separator: ", ") }
}

/// A gallery that cannot be opened at all (or a problem with its spec).
public struct GalleryError: Error, LocalizedError, Sendable, Equatable {
    public let source: String
    public let message: String

    public init(source: String, message: String) {
        self.source = source
        self.message = message
    }

    public var errorDescription: String? { "\(source): \(message)" }
}
