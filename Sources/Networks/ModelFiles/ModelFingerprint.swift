import Basics
/// A model's identity for caches and index headers: SHA-256 over its tensors' names, shapes and
/// Float32 values: it changes when any weight changes, and not when only the file's metadata or
/// its tensor order does.
///
/// The hashed stream, for each tensor in name order (UTF-8 byte order), every integer a
/// little-endian UInt64: name length, name bytes, rank, each dimension, value byte count, the
/// values as little-endian Float32. Length prefixes make the stream unambiguous.
public enum ModelFingerprint {
    /// 64 lower-case hex digits.
    public static func sha256(of tensors: [(name: String, value: Tensor)]) -> String {
        precondition(Set(tensors.map(\.name)).count == tensors.count, "duplicate tensor names in a fingerprint")
        var hasher = SHA256()
        func integer(_ value: Int) {
            var little = UInt64(value).littleEndian
            withUnsafeBytes(of: &little) { hasher.update($0) }
        }
        for (name, value) in tensors.sorted(by: { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }) {
            let nameBytes = Array(name.utf8)
            integer(nameBytes.count)
            hasher.update(nameBytes)
            integer(value.rank)
            for extent in value.shape { integer(extent) }
            integer(value.count * 4)
            #if _endian(little)
            value.withUnsafeBufferPointer { hasher.update(UnsafeRawBufferPointer($0)) }
            #else
            var bytes: [UInt8] = []
            value.withUnsafeBufferPointer { SafetensorsDType.f32.encode($0, appendingTo: &bytes) }
            hasher.update(bytes)
            #endif
        }
        return SHA256.hex(hasher.finalize())
    }

    /// The fingerprint of `model`'s state dict (parameters and buffers).
    public static func sha256<Model: Layer>(of model: Model) -> String { sha256(of: model.stateDict) }

    /// The fingerprint of every tensor in a model file, as loaded (F16/BF16 converted first).
    public static func sha256(of tensors: [String: Tensor]) -> String {
        sha256(of: tensors.map { (name: $0.key, value: $0.value) })
    }
}
