import Foundation
import Basics

/// One tensor of a checkpoint's state dict, as a contiguous row-major Float32 copy.
public struct TorchTensor: Sendable, Equatable {
    public let name: String
    /// The dtype it was stored as (its values are converted to Float32).
    public let dtype: TorchDType
    public let shape: [Int]
    public let values: [Float]

    public init(name: String, dtype: TorchDType, shape: [Int], values: [Float]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.values = values
    }
}

/// A PyTorch checkpoint's state dict, read without Python: the zip format torch.save writes
/// by default (`<prefix>/data.pkl` and `<prefix>/data/<key>` storages) and the legacy format
/// (`_use_new_zipfile_serialization=False`). The pickles are parsed by `Pickle`, which runs
/// no code; tensors are taken from their `_rebuild_tensor_v2` calls with their storage
/// offset, sizes and strides honoured.
///
/// The state dict is the file's dict if all its values are tensors, otherwise the first value
/// of that dict that is such a dict (tried first under "state_dict", "model_state_dict",
/// "model", "state", "net", "network", "weights", "params", "module"). Every tensor is read,
/// integer ones too (such as BatchNorm's `num_batches_tracked`); `TorchTensor.dtype` says
/// what each was, so callers can keep only floating-point ones.
///
/// Hostile input never crashes: every size, offset and stride is checked against the file
/// before it is used, and each problem is a `TorchCheckpointError` naming the file.
public struct TorchCheckpoint: Sendable {
    public enum Format: String, Sendable {
        case zip
        case legacy
    }

    public let path: String
    public let format: Format
    /// The key of the enclosing dict the state dict was found under; nil when the file is one.
    public let stateDictKey: String?
    /// In the state dict's order.
    public let tensors: [TorchTensor]
    /// The enclosing dict's other keys ("epoch", "optimizer", ...), not read.
    public let otherEntries: [String]

    static let preferredKeys = ["state_dict", "model_state_dict", "model", "state", "net", "network", "weights", "params", "module"]

    /// Reads the checkpoint at `path`.
    public init(path: String) throws(TorchCheckpointError) {
        let file: MappedFile
        do { file = try MappedFile(path: path) } catch { throw TorchCheckpointError(path: path, .unreadable(error.reason)) }
        self.path = path
        let bytes = file.bytes
        guard !bytes.isEmpty else { throw TorchCheckpointError(path: path, .truncated("empty file (0 bytes)")) }

        if bytes.count < 4, Array(bytes) == Array([0x50, 0x4B, 0x03, 0x04].prefix(bytes.count)) {
            throw TorchCheckpointError(path: path, .truncated("\(bytes.count) bytes, the start of a zip archive"))
        }
        let root: PickleValue
        let bigEndian: Bool
        let storage: (String) throws(TorchCheckpointError) -> TorchStorageBytes?
        if bytes.count >= 4, TorchZipArchive.u32(bytes, 0) == TorchZipArchive.localSignature {
            format = .zip
            let archive = try TorchZipArchive(path: path, file: file)
            guard let pickleName = archive.names.first(where: { $0.hasSuffix("/data.pkl") && $0.split(separator: "/").count == 2 }),
                  let pickleEntry = archive.entries[pickleName] else {
                throw TorchCheckpointError(path: path, .notACheckpoint("a zip archive without <name>/data.pkl, not written by torch.save"))
            }
            let prefix = String(pickleName.dropLast("data.pkl".count))
            root = try Self.parsePickle(try archive.contents(of: pickleEntry), file: file, path: path)
            bigEndian = try Self.byteOrder(archive, prefix: prefix, file: file)
            storage = { (key) throws(TorchCheckpointError) in
                try archive.entries[prefix + "data/" + key].map { (entry) throws(TorchCheckpointError) in try archive.contents(of: entry) }
            }
        } else if bytes[0] == 0x80 {
            format = .legacy
            let layout = try TorchLegacyFormat.read(path: path, file: file)
            root = layout.root
            bigEndian = layout.bigEndian
            storage = { key in layout.storages[key] }
        } else {
            let head = bytes.prefix(4).map { String($0, radix: 16) }.joined(separator: " ")
            throw TorchCheckpointError(path: path, .notACheckpoint("neither a zip archive (torch.save's format) nor a legacy torch.save pickle (first bytes \(head))"))
        }

        let (key, entries, others) = try Self.locateStateDict(root, path: path)
        stateDictKey = key
        otherEntries = others
        var tensors: [TorchTensor] = []
        var cache: [String: TorchStorageBytes] = [:]  // storages shared by several tensors
        for (name, value) in entries {
            let reference = try TorchTensorReference(value, name: name, path: path)
            guard let dtype = reference.storage.dtype else {
                throw TorchCheckpointError(path: path, .unsupportedDType(storage: reference.storage.className, tensor: name))
            }
            let bytesOfStorage: TorchStorageBytes
            if let cached = cache[reference.storage.key] {
                bytesOfStorage = cached
            } else {
                guard let found = try storage(reference.storage.key) else {
                    throw TorchCheckpointError(path: path, .missingStorage(key: reference.storage.key, tensor: name))
                }
                cache[reference.storage.key] = found
                bytesOfStorage = found
            }
            let values = try Self.withBytes(bytesOfStorage, file: file) { (raw) throws(TorchCheckpointError) in
                try reference.values(dtype: dtype, bytes: raw, bigEndian: bigEndian, name: name, path: path)
            }
            tensors.append(TorchTensor(name: name, dtype: dtype, shape: reference.shape, values: values))
        }
        self.tensors = tensors
    }

    /// The tensor called `name`, if the state dict has one.
    public func tensor(_ name: String) -> TorchTensor? { tensors.first { $0.name == name } }

    // MARK: - Helpers

    private static func withBytes<R>(_ storage: TorchStorageBytes, file: MappedFile,
                                     _ body: (UnsafeRawBufferPointer) throws(TorchCheckpointError) -> R) throws(TorchCheckpointError) -> R {
        switch storage {
        case .mapped(let range):
            return try withExtendedLifetime(file) { () throws(TorchCheckpointError) -> R in
                try body(UnsafeRawBufferPointer(rebasing: file.bytes[range]))
            }
        case .owned(let bytes):
            let result: Result<R, TorchCheckpointError> = bytes.withUnsafeBytes { raw in
                do throws(TorchCheckpointError) { return .success(try body(raw)) } catch { return .failure(error) }
            }
            return try result.get()
        }
    }

    private static func parsePickle(_ contents: TorchStorageBytes, file: MappedFile, path: String) throws(TorchCheckpointError) -> PickleValue {
        // Offsets in errors are file offsets for a stored entry.
        let base: Int
        if case .mapped(let range) = contents { base = range.lowerBound } else { base = 0 }
        return try withBytes(contents, file: file) { (raw) throws(TorchCheckpointError) in
            do throws(PickleError) { return try Pickle.parse(raw, from: 0, source: path, baseOffset: base).value } catch {
                throw TorchCheckpointError(path: path, pickle: error)
            }
        }
    }

    /// `<prefix>/byteorder` says "little" or "big"; files from before it existed are little-endian.
    private static func byteOrder(_ archive: TorchZipArchive, prefix: String, file: MappedFile) throws(TorchCheckpointError) -> Bool {
        guard let entry = archive.entries[prefix + "byteorder"] else { return false }
        let text = try withBytes(try archive.contents(of: entry), file: file) { raw in String(decoding: raw, as: UTF8.self) }
        switch text.trimmingCharacters(in: .whitespacesAndNewlines) {
        case "little": return false
        case "big": return true
        default: throw TorchCheckpointError(path: archive.path, .badArchive("byteorder says '\(text.prefix(20))', not little or big"))
        }
    }

    /// A dict or OrderedDict's entries, the last value winning for a repeated key (as in Python).
    static func dictEntries(_ value: PickleValue) -> [PickleDictEntry]? {
        let entries: [PickleDictEntry]
        if let plain = value.dictEntries {
            entries = plain
        } else if let object = value.object, object.global == PickleGlobal(module: "collections", name: "OrderedDict") {
            entries = object.dictItems
        } else {
            return nil
        }
        var position: [String: Int] = [:]
        var result: [PickleDictEntry] = []
        for entry in entries {
            guard let key = entry.key.text else { result.append(entry); continue }
            if let index = position[key] { result[index] = entry } else { position[key] = result.count; result.append(entry) }
        }
        return result
    }

    private static func isStateDict(_ entries: [PickleDictEntry]) -> Bool {
        !entries.isEmpty && entries.allSatisfy { TorchTensorReference.isTensor($0.value) }
    }

    static func locateStateDict(_ root: PickleValue, path: String) throws(TorchCheckpointError)
        -> (key: String?, tensors: [(String, PickleValue)], others: [String]) {
        guard let top = dictEntries(root) else {
            throw TorchCheckpointError(path: path, .noStateDict("the file holds a \(root.kindDescription), not a dict"))
        }
        func named(_ entries: [PickleDictEntry]) throws(TorchCheckpointError) -> [(String, PickleValue)] {
            var result: [(String, PickleValue)] = []
            for entry in entries {
                guard let name = entry.key.text else { throw TorchCheckpointError(path: path, .badPickle("a state dict key is a \(entry.key.kindDescription), not a str")) }
                result.append((name, entry.value))
            }
            return result
        }
        if isStateDict(top) { return (nil, try named(top), []) }
        let keys = top.map { $0.key.text ?? $0.key.kindDescription }
        let order = preferredKeys.compactMap { keys.firstIndex(of: $0) } + keys.indices
        for index in order {
            if let inner = dictEntries(top[index].value), isStateDict(inner) {
                return (keys[index], try named(inner), keys.enumerated().filter { $0.offset != index }.map(\.element))
            }
        }
        let listed = keys.prefix(8).joined(separator: ", ") + (keys.count > 8 ? ", ..." : "")
        throw TorchCheckpointError(path: path, .noStateDict("the file's dict has \(keys.count) entries (\(listed)), none of them a dict of tensors"))
    }
}
