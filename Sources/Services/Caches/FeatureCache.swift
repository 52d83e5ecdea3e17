import Basics
import Foundation
import Networks
import Retrieval

/// A backbone's trunk features of a whole gallery at one input size (or of an augmented copy of
/// its training items, for training heads with augmentation: their rows only), kept between runs as
/// float16 safetensors files in $XDG_CACHE_HOME/hashscope/features (or ~/.cache/...), named by a
/// hash of (weights file digest, gallery spec with an absolute path, input size).
///
/// A file is used only when it reads back whole and its metadata says it holds these weights'
/// features of these items (their ids hashed) at this size; anything else is recomputed and
/// replaced atomically.
public struct FeatureCache: Sendable {
    public let folder: String

    public init(folder: String) { self.folder = folder }

    public static var defaultFolder: String { CacheFolders.features }

    /// What the features depend on.
    public struct Key: Equatable, Sendable {
        public let backbone: BackboneName
        public let weightsDigest: String
        public let gallery: String
        public let size: Int
        public let itemsDigest: String
        public let count: Int
        /// Where the trunk ends: before the backbone's last `fineTunedBlocks` blocks.
        public var fineTunedBlocks = 1
        /// 0: the images as they are; n > 0: the n-th augmented copy, each image bent by
        /// `augmentation`'s draw for (seed, n, item).
        public var copy = 0
        public var augmentation = TrainingAugmentation.none
        public var seed: UInt64 = 0
        /// The items a copy holds (the training items; nil: all), sorted.
        public var items: [Int]?

        /// The key of augmented copy `n` (1, 2, ...) of `items` under `augmentation` and `seed`.
        public func augmentedCopy(_ n: Int, of items: [Int], augmentation: TrainingAugmentation, seed: UInt64) -> Key {
            var key = self
            key.copy = n
            key.items = items.sorted()
            key.augmentation = augmentation
            key.seed = seed
            return key
        }

        /// What the copy's images went through, for the file's metadata and name.
        var augmentationText: String {
            let a = augmentation
            let subset = items.map { list in
                var hasher = SHA256()
                for i in list { hasher.update(Array("\(i)\n".utf8)) }
                return "\(list.count) items \(SHA256.hex(hasher.finalize()).prefix(16))"
            } ?? "all items"
            return "copy \(copy) seed \(seed) of \(subset): crop padding \(a.cropPadding), flip \(a.flipProbability), "
                + "rotation \(a.maxRotationDegrees), brightness \(a.brightnessJitter)"
        }

        var metadata: [String: String] {
            ["kind": "hashscope-backbone-features", "version": "1", "backbone": backbone.rawValue,
             "weights_sha256": weightsDigest, "gallery": gallery, "size": "\(size)", "items_sha256": itemsDigest,
             "count": "\(count)", "stage": backbone.trunkDescription(fineTuning: fineTunedBlocks)]
                .merging(copy > 0 ? ["augmentation": augmentationText] : [:]) { a, _ in a }
        }

        var fileName: String {
            // The default cut adds nothing, so the caches written before other cuts existed stay valid.
            let text = ["v1", backbone.rawValue, weightsDigest, gallery, "\(size)"].joined(separator: "\n")
                + (fineTunedBlocks == 1 ? "" : "\nfine-tuned blocks \(fineTunedBlocks)")
                + (copy > 0 ? "\n" + augmentationText : "")
            return String(SHA256.hex(SHA256.hash(Array(text.utf8))).prefix(32)) + ".safetensors"
        }
    }

    public static func key(backbone: BackboneName, weightsPath: String, gallery: any Gallery, size: Int,
                           fineTunedBlocks: Int = 1) throws -> Key {
        var hasher = SHA256()
        for item in gallery.items { hasher.update(Array((item.id + "\n").utf8)) }
        return Key(backbone: backbone, weightsDigest: try BackboneWeights.fileDigest(weightsPath), gallery: gallery.spec.canonical,
                   size: size, itemsDigest: SHA256.hex(hasher.finalize()), count: gallery.items.count, fineTunedBlocks: fineTunedBlocks)
    }

    /// The cached features for `key`, or nil (with why, when a file was there but unusable).
    func read(_ key: Key) -> (features: BackboneFeatures?, problem: String?) {
        let path = folder + "/" + key.fileName
        guard FileManager.default.fileExists(atPath: path) else { return (nil, nil) }
        do {
            let (features, metadata) = try BackboneFeatures.load(path)
            guard key.metadata.allSatisfy({ metadata[$0.key] == $0.value }), features.count == key.count else {
                return (nil, "\(path): made for other weights, items or size")
            }
            return (features, nil)
        } catch { return (nil, error.localizedDescription) }
    }

    /// Stores `features` atomically; a failure only costs the next run time, so it is returned.
    func write(_ features: BackboneFeatures, key: Key) -> String? {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try features.save(to: folder + "/" + key.fileName, metadata: key.metadata)
        } catch { return "\(folder): features not cached: \(error.localizedDescription)" }
        return nil
    }

    /// The features of every item of `gallery`: from the cache, or computed (and cached).
    /// `note` hears about unusable cache files, skipped images and cache write failures.
    public func features(backbone: any PretrainedBackbone, key: Key, gallery: any Gallery, threads: Int,
                  note: (String) -> Void, progress: ((Int, Int) -> Void)?) -> (features: BackboneFeatures, cached: Bool, seconds: Double) {
        let (found, problem) = read(key)
        if let found, let items = key.items, found.items == nil {
            // A copy cached before copies held only their items: the same rows, gallery-sized.
            let compact = found.subset(items)
            if let problem = write(compact, key: key) { note(problem) }
            return (compact, true, 0)
        }
        if let found { return (found, true, 0) }
        if let problem { note("ignoring cached features (\(problem)); computing them again") }
        let preprocessor = ImagePreprocessor(width: key.size, height: key.size, normalization: key.backbone.normalization)
        let start = Date()
        let (features, skipped) = BackboneFeatures.extract(backbone, count: gallery.items.count, items: key.items,
                                                           preprocessor: preprocessor,
                                                           augmentation: key.augmentation, seed: key.seed, copy: key.copy,
                                                           threads: threads, load: { try gallery.image(at: $0) },
                                                           progress: { progress?($0, $1) })
        let seconds = Date().timeIntervalSince(start)
        for item in skipped { note("skipped \(item)") }
        // Features with unreadable items are kept too: the next run would skip the same images.
        if let problem = write(features, key: key) { note(problem) }
        return (features, false, seconds)
    }

    /// For a head on a backbone: the gallery's trunk features (cached, or computed and cached)
    /// and the head network that reads them (the model's network without its trunk). Nil for a
    /// self-contained model.
    public func headInputs(model: LoadedModel, gallery: any Gallery, threads: Int,
                           note: (String) -> Void, progress: ((Int, Int) -> Void)?) throws
        -> (head: HashingNetwork, features: BackboneFeatures)? {
        guard let backbone = model.backbone, let trunk = model.network.backbone else { return nil }
        let key = try Self.key(backbone: backbone.name, weightsPath: backbone.weightsPath, gallery: gallery,
                               size: model.metadata.inputSize.width, fineTunedBlocks: trunk.fineTunedBlocks)
        var head = model.network
        head.backbone = nil
        return (head, features(backbone: trunk, key: key, gallery: gallery, threads: threads, note: note, progress: progress).features)
    }
}
