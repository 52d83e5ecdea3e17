import CZlib
import Basics

/// The zip container torch.save writes by default: a central directory listing
/// `<prefix>/data.pkl`, `<prefix>/data/<key>` storages, `<prefix>/byteorder` and bookkeeping
/// files. torch stores every entry uncompressed (and 64-byte aligned); a deflated entry, as a
/// re-zipped archive might hold, is inflated with zlib. Zip64 records are followed, so files
/// beyond 4 GB open too. Every offset and size is checked against the file before use.
struct TorchZipArchive {
    struct Entry {
        let name: String
        let method: UInt16         // 0 stored, 8 deflated
        let compressedSize: Int
        let size: Int
        let localHeaderOffset: Int
    }

    let path: String
    let file: MappedFile
    /// By name, in central-directory order of first appearance.
    private(set) var entries: [String: Entry] = [:]
    private(set) var names: [String] = []

    static let localSignature: UInt32 = 0x0403_4B50
    private static let centralSignature: UInt32 = 0x0201_4B50
    private static let endSignature: UInt32 = 0x0605_4B50
    private static let zip64LocatorSignature: UInt32 = 0x0706_4B50
    private static let zip64EndSignature: UInt32 = 0x0606_4B50

    init(path: String, file: MappedFile) throws(TorchCheckpointError) {
        self.path = path
        self.file = file
        let bytes = file.bytes
        func fail(_ detail: String) -> TorchCheckpointError { TorchCheckpointError(path: path, .badArchive(detail)) }

        // The end-of-central-directory record is in the last 22 + 65535 (comment) bytes.
        var end: Int?
        var candidate = bytes.count - 22
        while candidate >= max(0, bytes.count - 22 - 65_535) {
            if Self.u32(bytes, candidate) == Self.endSignature { end = candidate; break }
            candidate -= 1
        }
        guard let end else {
            throw TorchCheckpointError(path: path, .truncated("zip archive without its central directory (the file was cut short)"))
        }
        var count = Int(Self.u16(bytes, end + 10))
        var directorySize = Int(Self.u32(bytes, end + 12))
        var directoryOffset = Int(Self.u32(bytes, end + 16))
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            let locator = end - 20
            guard locator >= 0, Self.u32(bytes, locator) == Self.zip64LocatorSignature else { throw fail("zip64 locator missing") }
            let record = Self.u64(bytes, locator + 8)
            guard record <= UInt64(bytes.count - 56), Self.u32(bytes, Int(record)) == Self.zip64EndSignature else {
                throw fail("zip64 end record missing")
            }
            let fields = (Self.u64(bytes, Int(record) + 32), Self.u64(bytes, Int(record) + 40), Self.u64(bytes, Int(record) + 48))
            guard fields.0 <= UInt64(bytes.count), fields.1 <= UInt64(bytes.count), fields.2 <= UInt64(bytes.count) else {
                throw fail("zip64 end record sizes beyond the file")
            }
            (count, directorySize, directoryOffset) = (Int(fields.0), Int(fields.1), Int(fields.2))
        }
        guard directoryOffset <= end, directorySize <= end - directoryOffset else {
            throw TorchCheckpointError(path: path, .truncated("the central directory (\(directorySize) bytes at \(directoryOffset)) lies beyond the file"))
        }

        var position = directoryOffset
        let directoryEnd = directoryOffset + directorySize
        for index in 0..<count {
            guard position + 46 <= directoryEnd, Self.u32(bytes, position) == Self.centralSignature else {
                throw fail("central directory entry \(index) of \(count) is damaged")
            }
            let nameLength = Int(Self.u16(bytes, position + 28))
            let extraLength = Int(Self.u16(bytes, position + 30))
            let commentLength = Int(Self.u16(bytes, position + 32))
            let next = position + 46 + nameLength + extraLength + commentLength
            guard next <= directoryEnd else { throw fail("central directory entry \(index) runs past the directory") }
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[position + 46 ..< position + 46 + nameLength]), as: UTF8.self)
            var compressed = UInt64(Self.u32(bytes, position + 20))
            var size = UInt64(Self.u32(bytes, position + 24))
            var local = UInt64(Self.u32(bytes, position + 42))
            // Zip64 extra field (id 1): the 64-bit values of the fields set to 0xFFFFFFFF, in order.
            var extra = position + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = Self.u16(bytes, extra), length = Int(Self.u16(bytes, extra + 2))
                guard extra + 4 + length <= extraEnd else { break }
                if id == 1 {
                    var field = extra + 4
                    if size == 0xFFFF_FFFF, field + 8 <= extra + 4 + length { size = Self.u64(bytes, field); field += 8 }
                    if compressed == 0xFFFF_FFFF, field + 8 <= extra + 4 + length { compressed = Self.u64(bytes, field); field += 8 }
                    if local == 0xFFFF_FFFF, field + 8 <= extra + 4 + length { local = Self.u64(bytes, field) }
                }
                extra += 4 + length
            }
            // Deflate expands at most ~1032:1, so a larger declared size is a lie (and no allocation).
            guard compressed <= UInt64(bytes.count), local <= UInt64(bytes.count), size <= compressed * 1032 + 1024 else {
                throw fail("entry \(name) declares sizes beyond the file")
            }
            if entries[name] == nil {
                names.append(name)
                entries[name] = Entry(name: name, method: Self.u16(bytes, position + 10), compressedSize: Int(compressed),
                                      size: Int(size), localHeaderOffset: Int(local))
            }
            position = next
        }
    }

    /// The entry's bytes: where they lie in the mapped file, or an inflated copy.
    func contents(of entry: Entry) throws(TorchCheckpointError) -> TorchStorageBytes {
        let bytes = file.bytes
        let local = entry.localHeaderOffset
        guard local <= bytes.count - 30, Self.u32(bytes, local) == Self.localSignature else {
            throw TorchCheckpointError(path: path, .badArchive("entry \(entry.name): no local header at byte \(local)"))
        }
        let start = local + 30 + Int(Self.u16(bytes, local + 26)) + Int(Self.u16(bytes, local + 28))
        guard start <= bytes.count, entry.compressedSize <= bytes.count - start else {
            throw TorchCheckpointError(path: path, .truncated("entry \(entry.name) needs \(entry.compressedSize) bytes at byte \(start), the file holds \(bytes.count)"))
        }
        let range = start ..< start + entry.compressedSize
        switch entry.method {
        case 0: return .mapped(range)
        case 8: return .owned(try inflate(UnsafeRawBufferPointer(rebasing: bytes[range]), expected: entry.size, name: entry.name))
        default:
            throw TorchCheckpointError(path: path, .unsupported("entry \(entry.name) uses zip compression method \(entry.method) (only stored and deflated are read)"))
        }
    }

    /// Raw deflate (no zlib header), exactly `expected` bytes out.
    private func inflate(_ input: UnsafeRawBufferPointer, expected: Int, name: String) throws(TorchCheckpointError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: expected)
        var stream = z_stream()
        guard inflateInit2_(&stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw TorchCheckpointError(path: path, .unsupported("zlib could not start"))
        }
        defer { inflateEnd(&stream) }
        let status: Int32 = output.withUnsafeMutableBytes { out in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
            stream.avail_in = UInt32(input.count)
            stream.next_out = out.baseAddress?.assumingMemoryBound(to: UInt8.self)
            stream.avail_out = UInt32(out.count)
            return CZlib.inflate(&stream, Z_FINISH)
        }
        guard status == Z_STREAM_END, Int(stream.total_out) == expected else {
            throw TorchCheckpointError(path: path, .badArchive("entry \(name): deflated data is damaged or not \(expected) bytes"))
        }
        return output
    }

    // Little-endian reads; callers keep offsets inside the buffer.
    static func u16(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt16 {
        UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    static func u32(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
        guard offset >= 0, offset + 4 <= bytes.count else { return 0 }
        return UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }

    static func u64(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt64 {
        UInt64(u32(bytes, offset)) | UInt64(u32(bytes, offset + 4)) << 32
    }
}
