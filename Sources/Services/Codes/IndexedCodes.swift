import Foundation
import Retrieval

/// The one check between an index file and the model and gallery it is read for, shared by
/// the code cache and by index files a user names (`--index`): the codes must be the model's
/// (fingerprint and bits) and every item id must be an item of the gallery (among `allowed`,
/// a protocol's side, when given), once.
public enum IndexedCodes {
    /// The gallery position of each code of `index`, read from `path`. `requireSameGallerySpec`:
    /// the file must also name this gallery (the cache's files do; a user's index may have been
    /// built from the same images at another path) and hold every allowed item (the cache
    /// keeps only complete sets; a user's index may have skipped unreadable images).
    public static func match(_ index: HashIndex, path: String, fingerprint: String, bits: Int, gallery: any Gallery,
                             allowed: [Int]? = nil, asCache: Bool = false, modelName: String = "the model")
        throws(ServiceError) -> [Int] {
        guard index.codes.bits == bits else {
            throw ServiceError("\(path): \(index.codes.bits)-bit codes, but \(modelName) makes \(bits)-bit codes")
        }
        guard index.metadata.modelFingerprint == fingerprint else {
            throw ServiceError("\(path): its codes were not made by \(modelName) (fingerprints differ)")
        }
        if asCache && index.metadata.gallery != gallery.spec.canonical {
            throw ServiceError("\(path): made for the gallery \(index.metadata.gallery), not \(gallery.spec.canonical)")
        }
        let items = gallery.items
        var position = [String: Int]()
        position.reserveCapacity(allowed?.count ?? items.count)
        for i in allowed ?? Array(items.indices) where position[items[i].id] == nil { position[items[i].id] = i }
        var positions: [Int] = []
        positions.reserveCapacity(index.itemIDs.count)
        var seen = Set<Int>()
        for id in index.itemIDs {
            guard let i = position[id] else {
                throw ServiceError("\(path): item '\(id)' is not " + (allowed == nil ? "in \(gallery.spec.description)" : "among the items asked for"))
            }
            guard seen.insert(i).inserted else { throw ServiceError("\(path): item '\(id)' appears twice") }
            positions.append(i)
        }
        guard !positions.isEmpty, positions.count == index.codes.count else {
            throw ServiceError("\(path): no item ids to match with \(gallery.spec.description)")
        }
        let wanted = allowed?.count ?? items.count
        if asCache && positions.count != wanted {
            throw ServiceError("\(path): holds \(positions.count) of the \(wanted) items asked for")
        }
        return positions
    }
}
