import Basics
import Foundation
import Networks
import Retrieval

/// Encoded codes kept between runs, as hashscope index files in one folder
/// ($XDG_CACHE_HOME/hashscope/codes or ~/.cache/hashscope/codes), named by a hash of one key:
/// the model's fingerprint, the gallery's canonical spec and which of its items the file holds
/// (all of them, or one side of a protocol's split with its seed). `eval`, `train`, `search`,
/// `index build` and the explorer all read and write it, so a gallery encoded by one opens at
/// once in the others.
///
/// A file is used only when it reads back whole (checksum) and `IndexedCodes` accepts it for
/// this model and gallery; anything else is a miss, re-encoded and overwritten atomically.
/// Images changed in place under the same names are not noticed.
public struct CodeCache: Sendable {
    public let folder: String

    public init(folder: String) { self.folder = folder }

    public static var defaultFolder: String { CacheFolders.codes }

    /// Which items of a gallery a cache file holds.
    public enum Selection: Sendable, Equatable, CustomStringConvertible {
        /// Every item, in gallery order.
        case gallery
        /// The queries or the database of a protocol's split (`seed` for protocols that draw).
        case split(protocolName: String, seed: UInt64?, side: Side)

        public enum Side: String, Sendable { case query, database }

        /// What the file name says it holds (the key is in the hash before it).
        var fileSuffix: String {
            switch self {
            case .gallery: return "gallery"
            case .split(_, _, let side): return side.rawValue
            }
        }

        public var description: String {
            switch self {
            case .gallery: return "all"
            case .split(let name, let seed, let side): return "\(name)\n\(seed.map(String.init) ?? "-")\n\(side.rawValue)"
            }
        }
    }

    /// The one cache key: the file that holds `fingerprint`'s codes of `selection` of `gallerySpec`.
    public func path(fingerprint: String, gallerySpec: GallerySpec, selection: Selection) -> String {
        let key = "v2\n\(fingerprint)\n\(gallerySpec.canonical)\n\(selection)"
        return folder + "/" + String(SHA256.hex(SHA256.hash(Array(key.utf8))).prefix(32)) + "-\(selection.fileSuffix).hsix"
    }

    public enum Lookup {
        /// The codes and the gallery position of each.
        case hit(codes: BinaryCodes, items: [Int])
        case miss
        /// The file exists but cannot be used; why, in one line.
        case unusable(String)
    }

    /// The codes at `path` when they are `fingerprint`'s codes of every item of `gallery` among
    /// `allowed` (nil: all items).
    public func read(_ path: String, fingerprint: String, bits: Int, gallery: any Gallery, allowed: [Int]? = nil) -> Lookup {
        guard FileManager.default.fileExists(atPath: path) else { return .miss }
        do {
            let index = try IndexFile.read(path)
            // The codes stay memory-mapped; an atomic rename over the file later leaves this mapping intact.
            let items = try IndexedCodes.match(index, path: path, fingerprint: fingerprint, bits: bits, gallery: gallery,
                                               allowed: allowed, asCache: true)
            return .hit(codes: index.codes, items: items)
        } catch { return .unusable(error.localizedDescription) }
    }

    /// Stores the codes of gallery items `items` atomically. A failure only costs the next run
    /// time, so it is returned as one line, not thrown.
    public func write(_ codes: BinaryCodes, items: [Int], to path: String, fingerprint: String, gallery: any Gallery,
                      source: String) -> String? {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            return "\(folder): cannot create the code cache: \(error.localizedDescription)"
        }
        let all = gallery.items
        let index = HashIndex(codes: codes, labels: items.map { all[$0].labels }, itemIDs: items.map { all[$0].id },
                              metadata: .init(modelFingerprint: fingerprint, gallery: gallery.spec.canonical,
                                              classNames: gallery.classNames, multiLabel: gallery.isMultiLabel, source: source))
        do { try IndexFile.write(index, to: path) } catch { return error.localizedDescription }
        return nil
    }
}
