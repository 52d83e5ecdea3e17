import Basics

/// Builds safetensors files: the layout of the reference writer (tensors sorted by dtype, larger
/// first, then by name; header padded with spaces to 8 bytes), so equal inputs give the same
/// bytes as `safetensors.torch.save_file` and the same bytes every time.
public enum SafetensorsWriter {
    /// One tensor to store, and the dtype to store it as (F32, F16 or BF16).
    public struct Item: Sendable {
        public let name: String
        public let tensor: Tensor
        public let dtype: SafetensorsDType

        public init(name: String, tensor: Tensor, dtype: SafetensorsDType = .f32) {
            precondition(dtype.isWritable, "the safetensors writer stores F32, F16 or BF16, not \(dtype.rawValue)")
            self.name = name
            self.tensor = tensor
            self.dtype = dtype
        }
    }

    /// The whole file's bytes.
    public static func serialize(_ items: [Item], metadata: [String: String] = [:]) -> [UInt8] {
        precondition(Set(items.map(\.name)).count == items.count, "duplicate tensor names in a safetensors file")
        precondition(!items.contains { $0.name == SafetensorsHeader.metadataKey }, "a tensor may not be called __metadata__")
        let ordered = items.sorted { a, b in
            a.dtype != b.dtype ? a.dtype > b.dtype : a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
        }
        var entries: [SafetensorsEntry] = []
        var offset = 0
        for item in ordered {
            let size = item.tensor.count * item.dtype.size
            entries.append(SafetensorsEntry(name: item.name, dtype: item.dtype, shape: item.tensor.shape, offsets: offset..<offset + size))
            offset += size
        }
        let header = SafetensorsHeader(entries: entries, metadata: metadata).serialized()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + header.count + offset)
        var length = UInt64(header.count)
        for _ in 0..<8 { bytes.append(UInt8(length & 0xFF)); length >>= 8 }
        bytes += header
        for item in ordered {
            item.tensor.withUnsafeBufferPointer { item.dtype.encode($0, appendingTo: &bytes) }
        }
        return bytes
    }

    /// Writes the file atomically: readers see the old file or the whole new one, never a part.
    public static func write(_ items: [Item], metadata: [String: String] = [:], to path: String) throws(ModelFileError) {
        let bytes = serialize(items, metadata: metadata)
        do { try AtomicFileWriter.write(bytes, to: path) } catch {
            throw ModelFileError(path: path, .unwritable(reason: error.reason))
        }
    }
}
