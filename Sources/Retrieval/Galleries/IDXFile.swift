import CZlib
import Foundation

/// IDX files (MNIST, Fashion-MNIST): big-endian magic 0x00 0x00 type ndims, then ndims
/// big-endian UInt32 sizes, then the data. Read through zlib, which takes gzip and plain
/// files alike.
struct IDXFile: Sendable {
    static let unsignedByteType: UInt8 = 0x08

    let path: String
    let dimensions: [Int]
    let headerLength: Int

    var elementCount: Int { dimensions.reduce(1, *) }

    /// Reads and checks only the header.
    init(path: String, expectedDimensions: Int) throws(GalleryError) {
        self.path = path
        let stream = try Self.open(path)
        defer { gzclose(stream) }
        let magic = try Self.read(stream, count: 4, path: path, what: "header")
        guard magic[0] == 0, magic[1] == 0 else {
            throw GalleryError(source: path, message: "not an IDX file: bad magic \(magic.map { String(format: "%02x", $0) }.joined())")
        }
        guard magic[2] == Self.unsignedByteType else {
            throw GalleryError(source: path, message: "IDX element type 0x\(String(format: "%02x", magic[2])) is not unsigned byte (0x08)")
        }
        guard Int(magic[3]) == expectedDimensions else {
            throw GalleryError(source: path, message: "IDX file has \(magic[3]) dimensions, expected \(expectedDimensions)")
        }
        let sizes = try Self.read(stream, count: 4 * expectedDimensions, path: path, what: "header")
        dimensions = (0..<expectedDimensions).map { d in
            sizes[4 * d..<4 * d + 4].reduce(0) { $0 << 8 | Int($1) }
        }
        headerLength = 4 + 4 * expectedDimensions
        guard dimensions.allSatisfy({ $0 > 0 }), dimensions.reduce(1, { $0.multipliedReportingOverflow(by: $1).partialValue }) <= 1 << 34 else {
            throw GalleryError(source: path, message: "IDX sizes \(dimensions) are not plausible")
        }
    }

    /// The whole data section, decompressed. Fails if the file holds less than its header says.
    func readData() throws(GalleryError) -> [UInt8] {
        let stream = try Self.open(path)
        defer { gzclose(stream) }
        _ = try Self.read(stream, count: headerLength, path: path, what: "header")
        return try Self.read(stream, count: elementCount, path: path, what: "data")
    }

    private static func open(_ path: String) throws(GalleryError) -> gzFile {
        guard let stream = gzopen(path, "rb") else {
            throw GalleryError(source: path, message: "cannot read file: \(String(cString: strerror(errno)))")
        }
        gzbuffer(stream, 1 << 17)
        return stream
    }

    private static func read(_ stream: gzFile, count: Int, path: String, what: String) throws(GalleryError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let chunk = min(count - done, 1 << 30)
            let got = bytes.withUnsafeMutableBytes { gzread(stream, $0.baseAddress! + done, UInt32(chunk)) }
            if got < 0 {
                var code: Int32 = 0
                let message = gzerror(stream, &code).map { String(cString: $0) } ?? "read error"
                throw GalleryError(source: path, message: "corrupt: \(message)")
            }
            if got == 0 { break }
            done += Int(got)
        }
        guard done == count else {
            throw GalleryError(source: path, message: "truncated: IDX \(what) needs \(count) bytes, the file holds \(done)")
        }
        return bytes
    }
}
