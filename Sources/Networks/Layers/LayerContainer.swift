/// A layer made of child layers, listed with the caches they left in a forward pass: how a walk
/// over a network (its attention maps) descends without reflection.
///
/// Names are parameter-path segments: a child named "cbam" holds parameters "cbam.*". A nil
/// name is a child whose names pass through unchanged (Residual's body, AnyLayer's base).
protocol LayerContainer {
    /// The children in forward order.
    var childLayers: [(name: String?, layer: any Layer)] { get }

    /// The children's caches from the forward pass that made `cache` (this layer's own cache,
    /// type-erased), in `childLayers` order.
    func childCaches(_ cache: Any) -> [Any]
}

/// The cache a container got back, as its own type: anything else is a programmer error.
private func typedCache<C>(_ cache: Any, of container: String) -> C {
    guard let typed = cache as? C else {
        preconditionFailure("\(container) was given the cache of another layer: \(type(of: cache))")
    }
    return typed
}

extension Sequential: LayerContainer {
    var childLayers: [(name: String?, layer: any Layer)] { layers.map { ($0.name, $0.layer) } }

    func childCaches(_ cache: Any) -> [Any] {
        let caches: [Any] = typedCache(cache, of: "Sequential")
        precondition(caches.count == layers.count, "Sequential got \(caches.count) caches for \(layers.count) layers")
        return caches
    }
}

extension AnyLayer: LayerContainer {
    var childLayers: [(name: String?, layer: any Layer)] { [(nil, base)] }

    // AnyLayer's cache is its base's own cache, boxed.
    func childCaches(_ cache: Any) -> [Any] { [cache] }
}

extension Residual: LayerContainer {
    var childLayers: [(name: String?, layer: any Layer)] { [(nil, body)] }

    func childCaches(_ cache: Any) -> [Any] { [typedCache(cache, of: "Residual") as Body.Cache] }
}

extension Branches: LayerContainer {
    var childLayers: [(name: String?, layer: any Layer)] { [(firstName, first), (secondName, second)] }

    func childCaches(_ cache: Any) -> [Any] {
        let typed: Cache = typedCache(cache, of: "Branches")
        return [typed.first, typed.second]
    }
}
