import Basics

/// One attention module's map from a forward pass, named by the module's place in the network.
/// (Render's `AttentionMap` is one image's h x w map; `image(_:)` gives it.)
public struct ModuleAttentionMap: Sendable {
    /// The module's parameter path: "features.cbam", "features.streams.position.pam".
    public let name: String
    /// (N, H, W) over the grid the module attends; the range is the module's (see its docs).
    public let map: Tensor
    /// Whether the values weigh positions (`AttentionMapping.weighsPositions`); false for a
    /// channel attention shown on the grid (DATH's CAM).
    public let weighsPositions: Bool

    public var height: Int { map.shape[1] }
    public var width: Int { map.shape[2] }

    /// Image `index`'s (H, W) plane, as Render's heatmaps take it.
    public func image(_ index: Int) -> AttentionMap {
        precondition(map.shape[0] > index && index >= 0, "image \(index) of a map of \(map.shape[0])")
        let plane = height * width
        return AttentionMap(width: width, height: height, values: Array(map.scalars[(index * plane)..<((index + 1) * plane)]))
    }

    /// The map to display among `maps` (forward order): the last, so nearest the output, that
    /// weighs positions, else the last of all; nil when there is none. So DAH shows its soft
    /// mask, DATH its position attention (not CAM's channel-weighted activations) and CBAM its
    /// spatial gate.
    public static func displayed(among maps: [ModuleAttentionMap]) -> ModuleAttentionMap? {
        maps.last { $0.weighsPositions } ?? maps.last
    }
}

extension HashingNetwork {
    /// One evaluation-mode forward pass: its output, identical to `callAsFunction(input)`'s
    /// (N, bits + classes), and the map of every attention module in the feature extractor, in
    /// forward order. An attention module's own insides are not searched (CBAM's spatial gate
    /// is CBAM's map, not a second one).
    public func attentionMaps(_ input: Tensor) -> (output: Tensor, maps: [ModuleAttentionMap]) {
        var copy = self
        let (output, cache) = copy.forward(input, training: false)
        var maps: [ModuleAttentionMap] = []
        collectAttentionMaps(features, cache: cache.features, path: "features", batch: input.shape[0], into: &maps)
        return (output, maps)
    }

    /// The names `attentionMaps` reports, in order, found without a forward pass.
    public var attentionMapNames: [String] { attentionModuleNames(features, path: "features") }

    /// Whether the network has an attention module (DAH, DATH, CBAM; not DSH, NIN or DFEH).
    public var hasAttention: Bool { !attentionMapNames.isEmpty }

    /// One image's relaxed codes (bits) and the map to display
    /// (`ModuleAttentionMap.displayed(among:)`), of shape (1, H, W); nil without attention.
    public func attentionMap(of image: RGBImage, preprocessor: ImagePreprocessor) -> (codes: [Float], map: ModuleAttentionMap?) {
        let (output, maps) = attentionMaps(preprocessor.tensor(image))
        return (split(output).codes.scalars, ModuleAttentionMap.displayed(among: maps))
    }

    /// One image's relaxed codes and, when `attention` is asked for and the network has it, the
    /// displayed map as Render's (H, W) heatmap input; one forward pass either way.
    public func encodeWithAttention(_ image: RGBImage, preprocessor: ImagePreprocessor,
                                    attention: Bool) -> (codes: [Float], map: AttentionMap?) {
        guard attention else { return (split(self(preprocessor.tensor(image))).codes.scalars, nil) }
        let (codes, map) = attentionMap(of: image, preprocessor: preprocessor)
        return (codes, map?.image(0))
    }
}

private func joined(_ path: String, _ name: String?) -> String {
    guard let name else { return path }
    return path.isEmpty ? name : path + "." + name
}

// Attention modules are leaves; containers are searched child by child, with their caches.
private func collectAttentionMaps(_ layer: any Layer, cache: Any, path: String, batch: Int,
                                  into maps: inout [ModuleAttentionMap]) {
    if let attention = layer as? any AttentionMapping {
        let map = attention.attentionMap(erased: cache)
        precondition(map.rank == 3 && map.shape[0] == batch, "\(path): attention map \(map.shape) for a batch of \(batch)")
        maps.append(ModuleAttentionMap(name: path, map: map, weighsPositions: attention.weighsPositions))
    } else if let container = layer as? any LayerContainer {
        for (child, childCache) in zip(container.childLayers, container.childCaches(cache)) {
            collectAttentionMaps(child.layer, cache: childCache, path: joined(path, child.name), batch: batch, into: &maps)
        }
    }
}

private func attentionModuleNames(_ layer: any Layer, path: String) -> [String] {
    if layer is any AttentionMapping { return [path] }
    guard let container = layer as? any LayerContainer else { return [] }
    return container.childLayers.flatMap { attentionModuleNames($0.layer, path: joined(path, $0.name)) }
}
