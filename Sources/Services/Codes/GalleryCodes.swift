import Basics
import Foundation
import Networks
import Retrieval

/// Codes of every item of a gallery under a model, from the code cache (selection `.gallery`)
/// or encoded now and cached. `search`, `index build` and the explorer share it.
///
/// A head on a backbone encodes the gallery from the backbone's trunk features, read from (or
/// computed into) the feature cache beside the code cache: a second head on the same gallery
/// then needs seconds, not a pass of the backbone. Its queries go through the backbone whole.
public enum GalleryCodes {
    public static func load(model: LoadedModel, gallery: any Gallery, cacheFolder: String?, threads: Int, note: (String) -> Void,
                            progress: ((Int, Int) -> Void)?) throws(ServiceError) -> (codes: BinaryCodes, indices: [Int], cached: Bool) {
        let network = model.network, fingerprint = model.fingerprint
        let cache = cacheFolder.map(CodeCache.init(folder:))
        let path = cache?.path(fingerprint: fingerprint, gallerySpec: gallery.spec, selection: .gallery)
        if let cache, let path {
            switch cache.read(path, fingerprint: fingerprint, bits: network.bits, gallery: gallery) {
            case .hit(let codes, let items): return (codes, items, true)
            case .unusable(let why): note("ignoring the cached codes (\(why)); encoding again")
            case .miss: break
            }
        }
        let items = Array(gallery.items.indices)
        let result: NetworkEncoder.Result
        let featureCache = cacheFolder.map { FeatureCache(folder: CacheFolders.features(besideCodes: $0)) }
        let inputs: (head: HashingNetwork, features: BackboneFeatures)?
        do {
            inputs = try featureCache?.headInputs(model: model, gallery: gallery, threads: threads, note: note, progress: progress)
        } catch { throw ServiceError(error.localizedDescription) }
        if let inputs {
            result = NetworkEncoder.encode(inputs.head, features: inputs.features, indices: items)
        } else {
            result = NetworkEncoder.encode(network, indices: items, preprocessor: model.preprocessor, threads: threads,
                                           load: { try gallery.image(at: $0) }, progress: { progress?($0, $1) })
        }
        for item in result.skipped { note("skipped \(item)") }
        guard !result.indices.isEmpty else { throw ServiceError("\(gallery.spec.description): no readable images") }
        let codes = network.binaryCodes(result.values)
        // Codes with skipped items are not cached: the next run should try those images again.
        if let cache, let path, result.skipped.isEmpty,
           let problem = cache.write(codes, items: result.indices, to: path, fingerprint: fingerprint, gallery: gallery,
                                     source: "hashscope gallery codes") {
            note("codes not cached: \(problem)")
        }
        return (codes, result.indices, false)
    }
}
