import CZlib
import Foundation
import Basics

/// hashscope's index file (its layout below; `hashscope index --help` for users). Little-endian throughout:
///
///     0    magic "HSCOPEIX", UInt32 version (1), UInt32 bits, UInt64 count
///     24   five sections, each UInt64 offset + UInt64 length:
///          codes, labels, item ids, features, metadata
///     104  UInt32 feature dimension (0: no features), padding to 128
///     ...  sections, each starting on a 64-byte boundary:
///          codes     count x wordsPerCode UInt64 words (memory-mapped as they lie)
///          labels    UInt32 offsets[count + 1], then UInt32 class indices
///          item ids  UInt32 offsets[count + 1], then UTF-8 bytes
///          features  count x dimension Float32
///          metadata  JSON (HashIndex.Metadata)
///     end  UInt32 CRC-32 of every byte before it, then "HSND"
public enum IndexFile {
    static let magic = Array("HSCOPEIX".utf8)
    static let trailerMagic = Array("HSND".utf8)
    static let version: UInt32 = 1
    static let headerLength = 128
    static let alignment = 64

    public static func write(_ index: HashIndex, to path: String) throws(AtomicFileWriter.WriteError) {
        let count = index.codes.count
        var labels = CSRBuilder()
        for row in index.labels { labels.append(row.map { UInt32($0) }) }
        var ids = CSRBytesBuilder()
        for id in index.itemIDs { ids.append(Array(id.utf8)) }
        let metadata = (try? JSONEncoder.sorted.encode(index.metadata)).map { Array($0) } ?? Array("{}".utf8)
        let codesLength = count * index.codes.wordsPerCode * 8
        let featureBytes = (index.features?.values.count ?? 0) * 4
        let sectionLengths = [codesLength, labels.byteCount, ids.byteCount, featureBytes, metadata.count]
        var offsets: [Int] = []
        var cursor = headerLength
        for length in sectionLengths {
            offsets.append(length == 0 ? 0 : cursor)
            cursor = align(cursor + length)
        }

        var header = ByteWriter()
        header.bytes(magic)
        header.u32(version)
        header.u32(UInt32(index.codes.bits))
        header.u64(UInt64(count))
        for (offset, length) in zip(offsets, sectionLengths) {
            header.u64(UInt64(offset))
            header.u64(UInt64(length))
        }
        header.u32(UInt32(index.features?.dimension ?? 0))
        header.pad(to: headerLength)

        let writer = try AtomicFileWriter(path: path)
        var crc = crc32_z(0, nil, 0)
        var written = 0
        func emit(_ raw: UnsafeRawBufferPointer) throws(AtomicFileWriter.WriteError) {
            guard raw.count > 0 else { return }
            try writer.write(raw)
            crc = crc32_z(crc, raw.baseAddress!.assumingMemoryBound(to: UInt8.self), raw.count)
            written += raw.count
        }
        func emit(_ bytes: [UInt8]) throws(AtomicFileWriter.WriteError) {
            let result: Result<Void, AtomicFileWriter.WriteError> = bytes.withUnsafeBytes { raw in
                do throws(AtomicFileWriter.WriteError) { try emit(raw); return .success(()) } catch { return .failure(error) }
            }
            try result.get()
        }
        func padSection() throws(AtomicFileWriter.WriteError) {
            try emit([UInt8](repeating: 0, count: align(written) - written))
        }
        try emit(header.data)
        try emit(UnsafeRawBufferPointer(start: index.codes.buffer.words, count: codesLength))
        try padSection()
        try emit(labels.bytes)
        try padSection()
        try emit(ids.bytes)
        try padSection()
        if let features = index.features {
            let result: Result<Void, AtomicFileWriter.WriteError> = features.values.withUnsafeBytes { raw in
                do throws(AtomicFileWriter.WriteError) { try emit(raw); return .success(()) } catch { return .failure(error) }
            }
            try result.get()
            try padSection()
        }
        try emit(metadata)
        try padSection()
        var trailer = ByteWriter()
        trailer.u32(UInt32(crc))
        trailer.bytes(trailerMagic)
        try writer.write(trailer.data)
        try writer.commit()
    }

    /// Reads an index file; the codes stay memory-mapped. With `verifyChecksum`, every byte
    /// is checked against the stored CRC-32 first.
    public static func read(_ path: String, verifyChecksum: Bool = true) throws(IndexFileError) -> HashIndex {
        let file = try MappedFile.forIndex(path)
        let reader = ByteReader(file: file)
        guard file.length >= headerLength + 8 else {
            throw IndexFileError(path: path, message: file.length == 0 ? "empty file (0 bytes)" : "truncated: \(file.length) bytes is shorter than an index header")
        }
        guard reader.bytes(0, 8) == magic else { throw IndexFileError(path: path, message: "not a hashscope index (bad magic)") }
        let version = reader.u32(8)
        guard version == Self.version else { throw IndexFileError(path: path, message: "index version \(version) is not supported (this hashscope reads version 1)") }
        guard reader.bytes(file.length - 4, 4) == trailerMagic else {
            throw IndexFileError(path: path, message: "truncated or damaged: the end-of-index marker is missing")
        }
        if verifyChecksum {
            let stored = reader.u32(file.length - 8)
            let computed = UInt32(crc32_z(0, file.base.assumingMemoryBound(to: UInt8.self), file.length - 8))
            guard stored == computed else {
                throw IndexFileError(path: path, message: "checksum mismatch (stored \(String(stored, radix: 16)), computed \(String(computed, radix: 16))): the file is damaged")
            }
        }
        let bits = Int(reader.u32(12))
        let count = Int(reader.u64(16))
        guard BinaryCodes.bitRange.contains(bits) else { throw IndexFileError(path: path, message: "code length \(bits) bits is outside 8...1024") }
        let dataEnd = file.length - 8
        var sections: [(offset: Int, length: Int)] = []
        for s in 0..<5 {
            let offset = reader.u64(24 + 16 * s), length = reader.u64(32 + 16 * s)
            guard offset <= UInt64(dataEnd), length <= UInt64(dataEnd) - offset, length == 0 || offset % UInt64(alignment) == 0 else {
                throw IndexFileError(path: path, message: "damaged header: section \(s) lies outside the file")
            }
            sections.append((Int(offset), Int(length)))
        }
        let wordsPerCode = (bits + 63) / 64
        guard count <= dataEnd / 8, sections[0].length == count * wordsPerCode * 8 else {
            throw IndexFileError(path: path, message: "damaged header: codes section does not hold \(count) codes of \(bits) bits")
        }
        let labels = try reader.csrRows(sections[1], count: count, path: path, what: "labels").map { $0.map { Int($0) } }
        let ids = try reader.csrStrings(sections[2], count: count, path: path)
        let dimension = Int(reader.u32(104))
        var features: FeatureMatrix?
        if dimension > 0 {
            guard sections[3].length == count * dimension * 4 else {
                throw IndexFileError(path: path, message: "damaged header: features section does not hold \(count) x \(dimension) floats")
            }
            features = FeatureMatrix(rows: count, dimension: dimension, values: reader.floats(sections[3].offset, count * dimension))
        }
        let metadata: HashIndex.Metadata
        do {
            metadata = try JSONDecoder().decode(HashIndex.Metadata.self, from: Data(reader.bytes(sections[4].offset, sections[4].length)))
        } catch {
            throw IndexFileError(path: path, message: "damaged metadata: not the expected JSON")
        }
        let buffer = CodeBuffer(words: UnsafePointer((file.base + sections[0].offset).assumingMemoryBound(to: UInt64.self)),
                                wordCount: count * wordsPerCode) { withExtendedLifetime(file) {} }
        return HashIndex(codes: BinaryCodes(bits: bits, count: count, buffer: buffer), labels: labels,
                         itemIDs: ids, features: features, metadata: metadata)
    }

    static func align(_ offset: Int) -> Int { (offset + alignment - 1) / alignment * alignment }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
