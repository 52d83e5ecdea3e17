import Foundation
import XCTest

/// Where tests find things: the repository, ../shared/datasets, scratch folders.
public enum TestPaths {
    /// The repository root, from this file's own path.
    public static let repository: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// ../shared/datasets beside the repository (present in CI, absent on a user's machine).
    public static let sharedDatasets: URL = repository.deletingLastPathComponent()
        .appendingPathComponent("shared/datasets")

    /// A folder under ../shared/datasets, or an XCTSkip that says which folder is missing.
    public static func sharedDataset(_ relative: String) throws -> String {
        let url = sharedDatasets.appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("needs \(url.standardizedFileURL.path) (the shared datasets beside the repository); absent here")
        }
        return url.standardizedFileURL.path
    }

    /// The Debian package dataset-fashion-mnist's files, or an XCTSkip saying how to get them.
    public static func debianFashionMNIST() throws -> String {
        let path = "/usr/share/datasets/fashion-mnist"
        guard FileManager.default.fileExists(atPath: path + "/train-images-idx3-ubyte.gz") else {
            throw XCTSkip("needs \(path) (apt-get install dataset-fashion-mnist; scripts/setup installs it)")
        }
        return path
    }
}

/// A fresh folder under the system temp directory, removed when the test ends.
public final class ScratchDirectory: Sendable {
    public let path: String

    public init(_ name: String = "hashscope-test") throws {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        path = url.path
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `bytes` to `relative` (creating folders) and returns the full path.
    @discardableResult
    public func write(_ relative: String, _ bytes: [UInt8]) throws -> String {
        let url = URL(fileURLWithPath: path).appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
        return url.path
    }
}
