import Basics

/// Where a storage's bytes are: a range of the mapped checkpoint, or a copy (an inflated zip entry).
enum TorchStorageBytes {
    case mapped(Range<Int>)
    case owned([UInt8])
}

/// The legacy layout of `torch.save(..., _use_new_zipfile_serialization=False)`: five pickles
/// one after another (the magic number 0x1950a86a20f9469cfc6c, the protocol version 1001, a
/// sys-info dict with the byte order, the object itself, the list of storage keys), then each
/// storage in that order as an int64 element count followed by its raw bytes.
enum TorchLegacyFormat {
    /// The magic number as LONG1 writes it: little-endian two's complement.
    static let magic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]
    static let protocolVersion = 1001

    struct Layout {
        let root: PickleValue
        let bigEndian: Bool
        let storages: [String: TorchStorageBytes]
    }

    static func read(path: String, file: MappedFile) throws(TorchCheckpointError) -> Layout {
        let bytes = file.bytes
        var position = 0
        func next() throws(TorchCheckpointError) -> PickleValue {
            do {
                let (value, end) = try Pickle.parse(bytes, from: position, source: path, baseOffset: 0)
                position = end
                return value
            } catch { throw TorchCheckpointError(path: path, pickle: error) }
        }
        let first: PickleValue
        do { first = try next() } catch {
            if case .truncated = error.problem { throw error }
            throw TorchCheckpointError(path: path, .notACheckpoint("starts like a pickle but does not parse as one (\(error.problemDescription))"))
        }
        guard case .bigInt(let number) = first, number.littleEndian == magic else {
            throw TorchCheckpointError(path: path, .notACheckpoint("a pickle of a \(first.kindDescription), not torch.save's legacy format (no magic number)"))
        }
        let version = try next()
        guard version.int == protocolVersion else {
            throw TorchCheckpointError(path: path, .unsupported("legacy protocol version \(version.int.map(String.init) ?? version.kindDescription) (this reader knows \(protocolVersion))"))
        }
        let sysInfo = try next()
        let bigEndian: Bool
        if case .bool(let little) = sysInfo["little_endian"] { bigEndian = !little } else { bigEndian = false }
        let root = try next()
        guard let keys = try next().elements?.map(\.text), keys.allSatisfy({ $0 != nil }) else {
            throw TorchCheckpointError(path: path, .badPickle("the storage key list is not a list of strings"))
        }

        // Element sizes come from the storage classes the object pickle names.
        var classes: [String: TorchStorageID] = [:]
        collectStorages(root, into: &classes)
        var storages: [String: TorchStorageBytes] = [:]
        for case let key? in keys {
            guard let id = classes[key] else {
                throw TorchCheckpointError(path: path, .badPickle("storage '\(key)' is listed but no tensor uses it"))
            }
            guard let dtype = id.dtype else {
                throw TorchCheckpointError(path: path, .unsupported("storage '\(key)' of class \(id.className) has an unknown element size, so the storages after it cannot be found"))
            }
            guard bytes.count - position >= 8 else {
                throw TorchCheckpointError(path: path, .truncated("the file ends before storage '\(key)' (byte \(position))"))
            }
            var raw: UInt64 = 0
            for i in (0..<8).reversed() { raw = raw << 8 | UInt64(bytes[position + i]) }
            let count = bigEndian ? raw.byteSwapped : raw
            position += 8
            let (length, overflow) = Int(clamping: count).multipliedReportingOverflow(by: dtype.size)
            guard !overflow, count <= UInt64(Int.max), length <= bytes.count - position else {
                throw TorchCheckpointError(path: path, .truncated("storage '\(key)' declares \(count) elements of \(dtype.size) bytes at byte \(position), only \(bytes.count - position) bytes are left"))
            }
            storages[key] = .mapped(position ..< position + length)
            position += length
        }
        return Layout(root: root, bigEndian: bigEndian, storages: storages)
    }

    /// Every storage id anywhere in `value` (optimizer state included), by key. The tree's
    /// depth is bounded by the pickle reader, so recursion is safe.
    static func collectStorages(_ value: PickleValue, into found: inout [String: TorchStorageID]) {
        switch value {
        case .persistent:
            if let id = TorchStorageID(value), found[id.key] == nil { found[id.key] = id }
        case .list(let items), .tuple(let items), .set(let items), .frozenSet(let items):
            for item in items { collectStorages(item, into: &found) }
        case .dict(let entries):
            for entry in entries { collectStorages(entry.key, into: &found); collectStorages(entry.value, into: &found) }
        case .object(let object):
            for item in object.args + object.states + object.listItems { collectStorages(item, into: &found) }
            for entry in object.kwargs + object.dictItems { collectStorages(entry.value, into: &found) }
        default:
            break
        }
    }
}
