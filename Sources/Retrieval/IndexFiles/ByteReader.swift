import Foundation
import Basics

extension MappedFile {
    /// Maps `path` for an index reader: failures become an IndexFileError naming the file.
    static func forIndex(_ path: String) throws(IndexFileError) -> MappedFile {
        do { return try MappedFile(path: path) } catch {
            throw IndexFileError(path: path, message: "cannot read file: \(error.reason)")
        }
    }
}


/// Little-endian reads at absolute offsets of a mapped file (callers check bounds first).
struct ByteReader {
    let file: MappedFile

    func bytes(_ offset: Int, _ count: Int) -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: file.base + offset, count: count))
    }

    func u32(_ offset: Int) -> UInt32 { UInt32(littleEndian: file.base.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
    func u64(_ offset: Int) -> UInt64 { UInt64(littleEndian: file.base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }

    func floats(_ offset: Int, _ count: Int) -> [Float] {
        (0..<count).map { Float(bitPattern: u32(offset + 4 * $0)) }
    }

    /// A CSR section: UInt32 offsets[count + 1], then UInt32 values.
    func csrRows(_ section: (offset: Int, length: Int), count: Int, path: String, what: String) throws(IndexFileError) -> [[UInt32]] {
        let (values, offsets) = try csr(section, count: count, elementSize: 4, path: path, what: what)
        return (0..<count).map { i in (offsets[i]..<offsets[i + 1]).map { u32(values + 4 * $0) } }
    }

    /// A CSR section of UTF-8 strings: UInt32 offsets[count + 1], then bytes.
    func csrStrings(_ section: (offset: Int, length: Int), count: Int, path: String) throws(IndexFileError) -> [String] {
        let (values, offsets) = try csr(section, count: count, elementSize: 1, path: path, what: "item ids")
        return (0..<count).map { i in
            String(decoding: UnsafeRawBufferPointer(start: file.base + values + offsets[i], count: offsets[i + 1] - offsets[i]), as: UTF8.self)
        }
    }

    private func csr(_ section: (offset: Int, length: Int), count: Int, elementSize: Int, path: String,
                     what: String) throws(IndexFileError) -> (values: Int, offsets: [Int]) {
        let damaged = IndexFileError(path: path, message: "damaged \(what) section")
        guard section.length >= 4 * (count + 1) else { throw damaged }
        let offsets = (0...count).map { Int(u32(section.offset + 4 * $0)) }
        let valuesStart = section.offset + 4 * (count + 1)
        guard offsets.first == 0, zip(offsets, offsets.dropFirst()).allSatisfy({ $0 <= $1 }),
              valuesStart + offsets[count] * elementSize <= section.offset + section.length else { throw damaged }
        return (valuesStart, offsets)
    }
}

/// Little-endian writes into a growing byte array.
struct ByteWriter {
    private(set) var data: [UInt8] = []

    mutating func bytes(_ more: [UInt8]) { data += more }
    mutating func u32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { data += $0 } }
    mutating func u64(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { data += $0 } }
    mutating func pad(to length: Int) { data += [UInt8](repeating: 0, count: max(0, length - data.count)) }
}

/// Rows of UInt32 in CSR form: offsets then values.
struct CSRBuilder {
    private var offsets: [UInt32] = [0]
    private var values: [UInt32] = []

    mutating func append(_ row: [UInt32]) {
        values += row
        offsets.append(UInt32(values.count))
    }

    var byteCount: Int { 4 * (offsets.count + values.count) }

    var bytes: [UInt8] {
        var writer = ByteWriter()
        for offset in offsets { writer.u32(offset) }
        for value in values { writer.u32(value) }
        return writer.data
    }
}

/// Byte strings in CSR form: UInt32 offsets then the bytes.
struct CSRBytesBuilder {
    private var offsets: [UInt32] = [0]
    private var values: [UInt8] = []

    mutating func append(_ row: [UInt8]) {
        values += row
        offsets.append(UInt32(values.count))
    }

    var byteCount: Int { 4 * offsets.count + values.count }

    var bytes: [UInt8] {
        var writer = ByteWriter()
        for offset in offsets { writer.u32(offset) }
        writer.bytes(values)
        return writer.data
    }
}
