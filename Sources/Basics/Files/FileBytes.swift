import Foundation

/// Reading files with the OS's own reason when it fails (Foundation's `contents(atPath:)`
/// only says nil).
public enum FileBytes {
    public struct ReadError: Error, LocalizedError, Sendable {
        public let path: String
        public let reason: String
        public var errorDescription: String? { "\(path): cannot read file: \(reason)" }
    }

    /// The whole file.
    public static func read(_ path: String) throws(ReadError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ReadError(path: path, reason: errnoDescription()) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ReadError(path: path, reason: errnoDescription()) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw ReadError(path: path, reason: "not a regular file") }
        var bytes = [UInt8]()
        bytes.reserveCapacity(Int(info.st_size))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ReadError(path: path, reason: errnoDescription())
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return bytes
    }

    /// `count` bytes at `offset`; fewer only if the file ends first.
    public static func read(_ path: String, offset: Int, count: Int) throws(ReadError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ReadError(path: path, reason: errnoDescription()) }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = bytes.withUnsafeMutableBytes { buffer in
                pread(fd, buffer.baseAddress! + done, count - done, off_t(offset + done))
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw ReadError(path: path, reason: errnoDescription())
            }
            if got == 0 { break }
            done += got
        }
        return Array(bytes[0..<done])
    }

    /// The file's size in bytes, or the OS's reason it has none.
    public static func size(_ path: String) throws(ReadError) -> Int {
        var info = stat()
        guard stat(path, &info) == 0 else { throw ReadError(path: path, reason: errnoDescription()) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw ReadError(path: path, reason: "not a regular file") }
        return Int(info.st_size)
    }

    public static func errnoDescription() -> String { String(cString: strerror(errno)) }
}
