import Foundation
import Basics

/// A Python pickle reader that only parses: no code runs, no class is looked up. The stream
/// becomes a `PickleValue` tree in which calls stay calls (see `PickleObject`) and large
/// byte strings stay in the file as ranges (`PickleBytes.range`), so the CIFAR-10 python
/// batches and PyTorch checkpoints can be opened without reading their pixel or weight data.
///
/// Every malformed stream throws a `PickleError` naming the source and the byte offset:
/// lengths are checked against the bytes that are left before anything is copied.
public enum Pickle {
    /// Byte strings up to this size are copied into the tree (keys, file names); longer
    /// ones are recorded as ranges.
    public static let defaultInlineLimit = 1024

    /// The pickle at the start of a file.
    public static func load(file path: String, inlineLimit: Int = defaultInlineLimit) throws(PickleError) -> PickleValue {
        try load(file: path, from: 0, inlineLimit: inlineLimit).value
    }

    /// The pickle at `offset` in a file, and the offset just after its STOP (legacy
    /// torch.save files hold several pickles one after another). The file is mapped,
    /// not read, so pages of byte strings the caller never reads are never loaded.
    public static func load(file path: String, from offset: Int, inlineLimit: Int = defaultInlineLimit) throws(PickleError) -> (value: PickleValue, end: Int) {
        precondition(offset >= 0, "pickle offset must not be negative")
        let file: MappedFile
        do { file = try MappedFile(path: path) } catch {
            // Some file systems cannot map: read the whole file instead (this also names
            // the OS's reason when the file cannot be read at all).
            let bytes: [UInt8]
            do { bytes = try FileBytes.read(path) } catch { throw PickleError(source: path, offset: nil, problem: .unreadable(error.reason)) }
            guard offset < bytes.count else {
                throw PickleError(source: path, offset: offset, problem: .truncated(bytes.isEmpty ? "empty file (0 bytes)" : "the file ends before the pickle starts"))
            }
            return try parse(bytes, from: offset, source: path, inlineLimit: inlineLimit)
        }
        guard offset < file.length else {
            throw PickleError(source: path, offset: offset, problem: .truncated(file.length == 0 ? "empty file (0 bytes)" : "the file ends before the pickle starts"))
        }
        return try withExtendedLifetime(file) { () throws(PickleError) in
            try parse(file.bytes, from: offset, source: path, baseOffset: 0, inlineLimit: inlineLimit)
        }
    }

    /// A pickle held in memory; ranges are offsets into `bytes`.
    public static func parse(_ bytes: [UInt8], source: String, inlineLimit: Int = defaultInlineLimit) throws(PickleError) -> PickleValue {
        try parse(bytes, from: 0, source: source, inlineLimit: inlineLimit).value
    }

    public static func parse(_ bytes: [UInt8], from start: Int, source: String, inlineLimit: Int = defaultInlineLimit) throws(PickleError) -> (value: PickleValue, end: Int) {
        precondition(start >= 0 && start <= bytes.count, "pickle start outside the bytes")
        let result: Result<(value: PickleValue, end: Int), PickleError> = bytes.withUnsafeBytes { buffer in
            do throws(PickleError) {
                return .success(try parse(buffer, from: start, source: source, baseOffset: 0, inlineLimit: inlineLimit))
            } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// The general form: ranges and error offsets are positions in `buffer` plus
    /// `baseOffset` (where the buffer starts in its file, e.g. inside a zip archive).
    public static func parse(_ buffer: UnsafeRawBufferPointer, from start: Int, source: String,
                             baseOffset: Int, inlineLimit: Int = defaultInlineLimit) throws(PickleError) -> (value: PickleValue, end: Int) {
        var machine = PickleMachine(bytes: buffer, start: start, source: source, baseOffset: baseOffset, inlineLimit: inlineLimit)
        return try machine.run()
    }

    /// The bytes themselves: inline ones as they are, ranges read from the file they came from.
    public static func read(_ bytes: PickleBytes, file path: String) throws(PickleError) -> [UInt8] {
        switch bytes {
        case .inline(let data): return data
        case .range(let offset, let count):
            let data: [UInt8]
            do { data = try FileBytes.read(path, offset: offset, count: count) } catch {
                throw PickleError(source: path, offset: offset, problem: .unreadable(error.reason))
            }
            guard data.count == count else {
                throw PickleError(source: path, offset: offset, problem: .truncated("\(count) bytes expected, the file holds \(data.count)"))
            }
            return data
        }
    }
}
