import Basics
import Foundation
import Networks
import Retrieval
import TUI

/// Encoded query and database codes kept between `eval` runs, as hashscope index files named
/// by a hash of (model fingerprint, gallery spec with an absolute path, protocol, seed), in
/// $XDG_CACHE_HOME/hashscope/codes or ~/.cache/hashscope/codes.
///
/// A cache file is used only when it reads back whole (checksum) and says it holds codes of the
/// same model, gallery and items; anything else is a miss, re-encoded and overwritten
/// atomically. Images changed in place under the same names are not noticed.
struct CodeCache {
    let folder: String

    static var defaultFolder: String { CacheFolders.codes }

    /// The two file paths for one model, gallery, protocol and seed.
    func paths(fingerprint: String, data: ProtocolData) -> (query: String, database: String) {
        let key = "v1\n\(fingerprint)\n\(data.canonicalSpec)\n\(data.split.name)\n\(data.split.seed.map(String.init) ?? "-")"
        let name = String(SHA256.hex(SHA256.hash(Array(key.utf8))).prefix(32))
        return (folder + "/\(name)-query.hsix", folder + "/\(name)-database.hsix")
    }

    enum Lookup {
        case hit(codes: BinaryCodes, indices: [Int])
        case miss
        /// The file exists but cannot be trusted; why, in one line.
        case damaged(String)
    }

    /// The codes at `path` if they are `fingerprint`'s codes of items among `expected`
    /// (ascending gallery indices), with `bits` bits.
    func read(_ path: String, fingerprint: String, data: ProtocolData, expected: [Int], bits: Int) -> Lookup {
        guard FileManager.default.fileExists(atPath: path) else { return .miss }
        let index: HashIndex
        do { index = try IndexFile.read(path) } catch { return .damaged(error.localizedDescription) }
        guard index.metadata.modelFingerprint == fingerprint, index.metadata.gallery == data.canonicalSpec,
              index.codes.bits == bits else {
            return .damaged("\(path): made for another model or gallery")
        }
        let items = data.gallery.items
        var position = [String: Int]()
        for i in expected { position[items[i].id] = i }
        var indices: [Int] = []
        indices.reserveCapacity(index.itemIDs.count)
        for id in index.itemIDs {
            guard let i = position[id], indices.last.map({ $0 < i }) ?? true else {
                return .damaged("\(path): its items are not this protocol's")
            }
            indices.append(i)
        }
        // The codes stay memory-mapped; an atomic rename over the file later leaves this mapping intact.
        return .hit(codes: index.codes, indices: indices)
    }

    /// Stores codes of `indices` atomically. Failure only costs the next run time, so it is
    /// reported, not thrown.
    func write(_ codes: BinaryCodes, indices: [Int], to path: String, fingerprint: String, data: ProtocolData) -> String? {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            return "\(folder): cannot create the code cache: \(error.localizedDescription)"
        }
        let items = data.gallery.items
        let index = HashIndex(codes: codes, labels: indices.map { items[$0].labels }, itemIDs: indices.map { items[$0].id },
                              metadata: .init(modelFingerprint: fingerprint, gallery: data.canonicalSpec,
                                              classNames: data.classNames, multiLabel: data.gallery.isMultiLabel,
                                              source: "hashscope eval --protocol \(data.split.name)"))
        do { try IndexFile.write(index, to: path) } catch { return error.localizedDescription }
        return nil
    }
}
