import Basics
import Foundation
import Networks
import Retrieval

/// Codes of every item of a gallery, cached as a hashscope index file keyed by the model's
/// fingerprint and the gallery (like `eval`'s codes, in the same folder). `search` and the TUI
/// share it, so a gallery encoded by one opens at once in the other.
///
/// A head on a backbone encodes the gallery from the backbone's trunk features, read from (or
/// computed into) the feature cache beside the code cache: a second head on the same gallery
/// then needs seconds, not a pass of the backbone. Its queries go through the backbone whole.
public enum GalleryCodes {
    public static func load(model: LoadedModel, gallery: any Gallery, cacheFolder: String?, threads: Int, note: (String) -> Void,
                            progress: ((Int, Int) -> Void)?) throws -> (codes: BinaryCodes, indices: [Int], cached: Bool) {
        let network = model.network, fingerprint = model.fingerprint
        let absolute = URL(fileURLWithPath: gallery.spec.path).standardizedFileURL.path
        let canonical = gallery.spec.path.isEmpty ? gallery.spec.description : "\(gallery.spec.kind.rawValue):\(absolute)"
        let key = "search-v1\n\(fingerprint)\n\(canonical)\nall"
        let path = cacheFolder.map { $0 + "/" + String(SHA256.hex(SHA256.hash(Array(key.utf8))).prefix(32)) + "-gallery.hsix" }
        let items = gallery.items
        if let path, FileManager.default.fileExists(atPath: path) {
            if let index = try? IndexFile.read(path), index.metadata.modelFingerprint == fingerprint,
               index.metadata.gallery == canonical, index.codes.bits == network.bits, index.itemIDs.count == items.count,
               zip(index.itemIDs, items).allSatisfy({ $0 == $1.id }) {
                return (index.codes, Array(items.indices), true)
            }
            note("ignoring the cached codes (\(path): damaged or made for another model or gallery); encoding again")
        }
        let result: NetworkEncoder.Result
        let featureCache = cacheFolder.map { FeatureCache(folder: CacheFolders.features(besideCodes: $0)) }
        if let inputs = try featureCache?.headInputs(model: model, gallery: gallery, canonicalSpec: canonical, threads: threads,
                                                     note: note, progress: progress) {
            result = NetworkEncoder.encode(inputs.head, features: inputs.features, indices: Array(items.indices))
        } else {
            result = NetworkEncoder.encode(network, indices: Array(items.indices), preprocessor: model.preprocessor, threads: threads,
                                           load: { try gallery.image(at: $0) }, progress: { progress?($0, $1) })
        }
        for item in result.skipped { note("skipped \(item)") }
        guard !result.indices.isEmpty else { throw SessionError("\(gallery.spec.description): no readable images") }
        let codes = network.binaryCodes(result.values)
        if let path, let folder = cacheFolder, result.skipped.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                let index = HashIndex(codes: codes, labels: items.map(\.labels), itemIDs: items.map(\.id),
                                      metadata: .init(modelFingerprint: fingerprint, gallery: canonical, classNames: gallery.classNames,
                                                      multiLabel: gallery.isMultiLabel, source: "hashscope search"))
                try IndexFile.write(index, to: path)
            } catch {
                note("codes not cached: \(error.localizedDescription)")
            }
        }
        return (codes, result.indices, false)
    }
}
