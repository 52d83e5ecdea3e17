/// A layer that shows where it attends: one (N, H, W) map per forward pass, for the heatmap
/// beside a query's neighbours.
///
/// The map is read from the cache of a forward pass, so training and display share one pass and
/// the layer keeps no per-call state (the Layer contract). Each module documents what its map
/// means and its range; a display normalises it (Render's heatmaps take any range).
public protocol AttentionMapping: Layer {
    /// The map of the forward pass that made `cache`: (N, H, W), Float, over the grid the
    /// module's attention acts on.
    func attentionMap(_ cache: Cache) -> Tensor

    /// Whether the map weighs the grid's positions (spatial attention: CBAM's Ms, PAM's
    /// attention received, a soft mask), rather than showing a channel attention's effect on
    /// the grid (CAM). A display prefers maps that weigh positions. Default: true.
    var weighsPositions: Bool { get }
}

extension AttentionMapping {
    public var weighsPositions: Bool { true }

    /// `attentionMap` of a type-erased cache, for walks over a network's caches.
    func attentionMap(erased cache: Any) -> Tensor {
        guard let typed = cache as? Cache else {
            preconditionFailure("\(Self.self).attentionMap was given the cache of another layer: \(type(of: cache))")
        }
        return attentionMap(typed)
    }

    /// An evaluation-mode forward pass with its map: x -> (output, (N, H, W)).
    public func forwardWithAttentionMap(_ input: Tensor) -> (output: Tensor, map: Tensor) {
        var copy = self
        let (output, cache) = copy.forward(input, training: false)
        return (output, copy.attentionMap(cache))
    }
}
