import Foundation
import Basics
import XCTest

/// The smallest gallery `cifar10-full` accepts, for command tests that train and search:
/// 10 classes x (4 train + 1 test) 32x32 PPM images, each class its own colour plus noise.
public enum TinyGallery {
    /// Writes the gallery under `scratch` and returns its spec (`folder:...`).
    public static func make(in scratch: ScratchDirectory) throws -> String {
        for c in 0..<10 {
            for (split, count) in [("train", 4), ("test", 1)] {
                for i in 0..<count {
                    var generator = SeededGenerator(seed: UInt64(c * 100 + i + (split == "test" ? 50 : 0)))
                    let base = [(c * 73) % 256, (c * 151) % 256, (c * 29 + 100) % 256]
                    let pixels = (0..<32 * 32 * 3).map { UInt8(clamping: base[$0 % 3] + generator.nextInt(below: 61) - 30) }
                    try scratch.write("gallery/\(split)/class\(c)/\(i).ppm", PPMCodec.encode(RGBImage(width: 32, height: 32, pixels: pixels)))
                }
            }
        }
        return "folder:" + scratch.path + "/gallery"
    }
}

/// A tiny gallery with a 16-bit dsh model trained on it for one epoch by `hashscope train`,
/// made once per test process (training is the slow part) and shared by the suites that only
/// read them.
public struct TrainedTinyModel: Sendable {
    public let scratch: ScratchDirectory
    public let gallery: String
    public let model: String

    nonisolated(unsafe) private static var shared: TrainedTinyModel?
    private static let lock = NSLock()

    public static func get(file: StaticString = #filePath, line: UInt = #line) throws -> TrainedTinyModel {
        lock.lock()
        defer { lock.unlock() }
        if let shared { return shared }
        let scratch = try ScratchDirectory()
        let gallery = try TinyGallery.make(in: scratch)
        let model = scratch.path + "/model.safetensors"
        let train = try CommandRunner.run(["train", "--arch", "dsh", "--bits", "16", "--dataset", gallery, "--protocol", "cifar10-full",
                                           "--epochs", "1", "--batch", "8", "--seed", "5", "--out", model])
        XCTAssertEqual(train.status, 0, train.stderr, file: file, line: line)
        let made = TrainedTinyModel(scratch: scratch, gallery: gallery, model: model)
        shared = made
        return made
    }

    /// Runs `hashscope ARGUMENTS` with this fixture's own cache folder.
    public func run(_ arguments: [String]) throws -> CommandResult {
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CACHE_HOME"] = scratch.path + "/cache"
        return try CommandRunner.run(arguments, environment: environment)
    }
}
