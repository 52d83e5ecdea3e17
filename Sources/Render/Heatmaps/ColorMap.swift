import Basics
import Foundation

/// An unknown colour map name; lists the known ones.
public struct ColorMapError: Error, LocalizedError, Equatable, Sendable {
    public let name: String

    public var errorDescription: String? {
        "unknown colour map '\(name)' (known: " + ColorMap.allCases.map(\.rawValue).joined(separator: ", ") + ")"
    }
}

/// The colour maps for attention heatmaps: matplotlib's jet, viridis and inferno, 256 entries
/// each (tables and their source in ColorMapTables.swift).
public enum ColorMap: String, CaseIterable, Sendable {
    case jet, viridis, inferno

    public init(named name: String) throws(ColorMapError) {
        guard let map = ColorMap(rawValue: name.lowercased()) else { throw ColorMapError(name: name) }
        self = map
    }

    /// The 256 colours, first for 0, last for 1.
    public var entries: [RGBColor] {
        switch self {
        case .jet: return Self.jetEntries
        case .viridis: return Self.viridisEntries
        case .inferno: return Self.infernoEntries
        }
    }

    /// The colour of a value in 0...1 as matplotlib maps it: entry floor(t * 256), with 1 (and
    /// anything above) the last entry and anything below 0 (or NaN) the first.
    public func color(at t: Float) -> RGBColor {
        entries[Self.index(of: t)]
    }

    @inline(__always)
    static func index(of t: Float) -> Int {
        guard t > 0 else { return 0 }
        return t >= 1 ? 255 : min(255, Int(t * 256))
    }

    // Parsed once, on first use (static lets are initialised lazily and thread-safely).
    private static let jetEntries = parse(ColorMapTables.jet)
    private static let viridisEntries = parse(ColorMapTables.viridis)
    private static let infernoEntries = parse(ColorMapTables.inferno)

    private static func parse(_ table: String) -> [RGBColor] {
        let entries = table.split(whereSeparator: \.isWhitespace).compactMap { UInt32($0, radix: 16) }
        precondition(entries.count == 256, "a colour table holds 256 entries")
        return entries.map(RGBColor.init(packed:))
    }
}
