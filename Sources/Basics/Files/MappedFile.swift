import Foundation

/// A whole file mapped read-only, so readers touch only the pages they use (index codes,
/// pickle byte strings). Unmapped when the last reference goes.
public final class MappedFile: @unchecked Sendable {
    public let base: UnsafeRawPointer
    public let length: Int

    public init(path: String) throws(FileBytes.ReadError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileBytes.ReadError(path: path, reason: FileBytes.errnoDescription()) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileBytes.ReadError(path: path, reason: FileBytes.errnoDescription()) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw FileBytes.ReadError(path: path, reason: "not a regular file") }
        length = Int(info.st_size)
        if length == 0 {
            // mmap refuses empty files; an empty mapping is still a valid (empty) view.
            base = UnsafeRawPointer(UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 64))
            return
        }
        guard let mapped = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw FileBytes.ReadError(path: path, reason: "cannot map file: \(FileBytes.errnoDescription())")
        }
        base = UnsafeRawPointer(mapped)
    }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: length) }

    deinit {
        if length == 0 { UnsafeMutableRawPointer(mutating: base).deallocate() } else { munmap(UnsafeMutableRawPointer(mutating: base), length) }
    }
}
