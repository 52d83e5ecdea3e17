import Foundation
import Basics

/// faiss's IndexBinaryFlat file, as faiss.write_index_binary writes it (little-endian):
/// fourcc "IBxF", Int32 d (bits), Int32 code_size (bytes), Int64 ntotal, UInt8 is_trained,
/// Int32 metric_type, then the codes as a vector: UInt64 byte count and the bytes
/// (code_size per code, faiss's LSB-first packing, which BinaryCodes shares).
public enum FaissBinaryFlatFile {
    static let fourcc = Array("IBxF".utf8)
    static let headerLength = 4 + 4 + 4 + 8 + 1 + 4 + 8
    /// faiss stores METRIC_L2 (1) for binary indexes; search is Hamming regardless.
    static let metricType: Int32 = 1

    public static func write(_ codes: BinaryCodes, to path: String) throws(AtomicFileWriter.WriteError) {
        precondition(codes.bits % 8 == 0, "faiss binary indexes need a multiple of 8 bits")
        let bytes = codes.packedBytes()
        var header: [UInt8] = fourcc
        withUnsafeBytes(of: Int32(codes.bits).littleEndian) { header += $0 }
        withUnsafeBytes(of: Int32(codes.bits / 8).littleEndian) { header += $0 }
        withUnsafeBytes(of: Int64(codes.count).littleEndian) { header += $0 }
        header.append(1)
        withUnsafeBytes(of: metricType.littleEndian) { header += $0 }
        withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { header += $0 }
        let writer = try AtomicFileWriter(path: path)
        try writer.write(header)
        try writer.write(bytes)
        try writer.commit()
    }

    /// True when the file starts with faiss's IndexBinaryFlat fourcc.
    public static func looksLikeFaiss(_ path: String) -> Bool {
        (try? FileBytes.read(path, offset: 0, count: 4)) == fourcc
    }

    public static func read(_ path: String) throws(IndexFileError) -> BinaryCodes {
        let file = try MappedFile.forIndex(path)
        let reader = ByteReader(file: file)
        guard file.length >= headerLength else {
            throw IndexFileError(path: path, message: file.length == 0 ? "empty file (0 bytes)" : "truncated: \(file.length) bytes is shorter than a faiss IndexBinaryFlat header")
        }
        guard reader.bytes(0, 4) == fourcc else {
            let tag = String(decoding: reader.bytes(0, 4).map { (32...126).contains($0) ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
            throw IndexFileError(path: path, message: "not a faiss IndexBinaryFlat file (fourcc '\(tag)', expected 'IBxF')")
        }
        let bits = Int(Int32(bitPattern: reader.u32(4)))
        let codeSize = Int(Int32(bitPattern: reader.u32(8)))
        let count = Int(bitPattern: UInt(reader.u64(12)))
        let byteCount = reader.u64(25)
        guard BinaryCodes.bitRange.contains(bits), bits % 8 == 0, codeSize == bits / 8 else {
            throw IndexFileError(path: path, message: "faiss header says d=\(bits) bits, code_size=\(codeSize) bytes: expected d a multiple of 8 in 8...1024 and code_size = d/8")
        }
        guard count >= 0, byteCount == UInt64(count) * UInt64(codeSize) else {
            throw IndexFileError(path: path, message: "faiss header says \(count) codes but \(byteCount) code bytes")
        }
        guard UInt64(file.length - headerLength) >= byteCount else {
            throw IndexFileError(path: path, message: "truncated: \(byteCount) code bytes declared, \(file.length - headerLength) present")
        }
        let wordsPerCode = (bits + 63) / 64
        let start = file.base + headerLength
        let buffer = CodeBuffer.make(wordCount: count * wordsPerCode) { words in
            // Byte b of a code is byte b % 8 of word b / 8 on a little-endian machine.
            let target = UnsafeMutableRawPointer(words.baseAddress!)
            if codeSize == wordsPerCode * 8 {
                target.copyMemory(from: start, byteCount: count * codeSize)
            } else {
                for i in 0..<count { (target + i * wordsPerCode * 8).copyMemory(from: start + i * codeSize, byteCount: codeSize) }
            }
        }
        return BinaryCodes(bits: bits, count: count, buffer: buffer)
    }
}
