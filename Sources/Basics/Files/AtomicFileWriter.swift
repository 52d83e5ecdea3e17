import Foundation

/// Writes a file so that readers see either the old file or the complete new one, never a
/// half-written one: the bytes go to a temporary file in the same folder, which is fsynced
/// and then renamed over the target (and the folder fsynced, so the rename survives a crash).
/// A writer that is neither committed nor kept removes its temporary file.
public final class AtomicFileWriter {
    public struct WriteError: Error, LocalizedError, Sendable {
        public let path: String
        public let reason: String
        public var errorDescription: String? { "\(path): cannot write file: \(reason)" }
    }

    public let path: String
    private let temporaryPath: String
    private var descriptor: Int32
    private var finished = false

    public init(path: String) throws(WriteError) {
        self.path = path
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        temporaryPath = folder + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw WriteError(path: path, reason: FileBytes.errnoDescription()) }
    }

    deinit {
        if !finished {
            close(descriptor)
            unlink(temporaryPath)
        }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(WriteError) {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw WriteError(path: path, reason: FileBytes.errnoDescription())
            }
            offset += written
        }
    }

    public func write(_ bytes: [UInt8]) throws(WriteError) {
        let result: Result<Void, WriteError> = bytes.withUnsafeBytes { raw in
            do throws(WriteError) { try write(raw); return .success(()) } catch { return .failure(error) }
        }
        try result.get()
    }

    /// Makes the new file visible under `path`.
    public func commit() throws(WriteError) {
        precondition(!finished, "writer already committed")
        finished = true
        defer { if access(temporaryPath, F_OK) == 0 { unlink(temporaryPath) } }
        guard fsync(descriptor) == 0 else {
            let reason = FileBytes.errnoDescription()
            close(descriptor)
            throw WriteError(path: path, reason: reason)
        }
        close(descriptor)
        guard rename(temporaryPath, path) == 0 else { throw WriteError(path: path, reason: FileBytes.errnoDescription()) }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let folderDescriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folderDescriptor >= 0 {
            fsync(folderDescriptor)
            close(folderDescriptor)
        }
    }

    /// Writes `bytes` to `path` atomically in one call.
    public static func write(_ bytes: [UInt8], to path: String) throws(WriteError) {
        let writer = try AtomicFileWriter(path: path)
        try writer.write(bytes)
        try writer.commit()
    }
}
