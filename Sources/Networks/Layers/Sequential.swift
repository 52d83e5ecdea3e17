/// Any layer behind one type, so layers of different kinds can sit in one list. Its cache is
/// the wrapped layer's own cache, boxed.
public struct AnyLayer: Layer {
    public private(set) var base: any Layer

    public init(_ base: some Layer) { self.base = base }

    public mutating func forward(_ input: Tensor, training: Bool) -> (output: Tensor, cache: Any) {
        func run<L: Layer>(_ layer: inout L) -> (output: Tensor, cache: Any) {
            let (output, cache) = layer.forward(input, training: training)
            return (output, cache)
        }
        return run(&base)
    }

    public mutating func backward(_ gradOutput: Tensor, cache: Any) -> Tensor {
        func run<L: Layer>(_ layer: inout L) -> Tensor {
            guard let typed = cache as? L.Cache else {
                preconditionFailure("AnyLayer.backward got the cache of another layer than \(L.self)")
            }
            return layer.backward(gradOutput, cache: typed)
        }
        return run(&base)
    }

    public mutating func accumulateParameterGradients(_ gradOutput: Tensor, cache: Any) {
        func run<L: Layer>(_ layer: inout L) {
            guard let typed = cache as? L.Cache else {
                preconditionFailure("AnyLayer.accumulateParameterGradients got the cache of another layer than \(L.self)")
            }
            layer.accumulateParameterGradients(gradOutput, cache: typed)
        }
        run(&base)
    }

    public mutating func visitParameters(_ visit: (_ name: String, _ value: inout Tensor, _ gradient: inout Tensor) -> Void) {
        func run<L: Layer>(_ layer: inout L) { layer.visitParameters(visit) }
        run(&base)
    }

    public mutating func visitBuffers(_ visit: (_ name: String, _ value: inout Tensor) -> Void) {
        func run<L: Layer>(_ layer: inout L) { layer.visitBuffers(visit) }
        run(&base)
    }
}

/// Layers applied in order, named like PyTorch's nn.Sequential ("0.weight", "3.bias"; a
/// name may be given instead of the index), so a state dict lines up with the PyTorch
/// module a parity script builds.
public struct Sequential: Layer {
    public private(set) var layers: [(name: String, layer: AnyLayer)]

    public init(_ layers: [any Layer]) {
        self.layers = layers.enumerated().map { (String($0.offset), AnyLayer(erasing: $0.element)) }
    }

    public init(named layers: [(String, any Layer)]) {
        self.layers = layers.map { ($0.0, AnyLayer(erasing: $0.1)) }
    }

    // x -> layers[0] -> ... -> layers[n-1]
    public mutating func forward(_ input: Tensor, training: Bool) -> (output: Tensor, cache: [Any]) {
        var x = input
        var caches: [Any] = []
        caches.reserveCapacity(layers.count)
        for i in layers.indices {
            let (y, cache) = layers[i].layer.forward(x, training: training)
            caches.append(cache)
            x = y
        }
        return (x, caches)
    }

    public mutating func backward(_ gradOutput: Tensor, cache: [Any]) -> Tensor {
        precondition(cache.count == layers.count, "Sequential.backward got \(cache.count) caches for \(layers.count) layers")
        var gradient = gradOutput
        for i in layers.indices.reversed() {
            gradient = layers[i].layer.backward(gradient, cache: cache[i])
        }
        return gradient
    }

    /// Every layer's backward but the first's, which gets only its parameter gradients.
    public mutating func accumulateParameterGradients(_ gradOutput: Tensor, cache: [Any]) {
        precondition(cache.count == layers.count, "Sequential got \(cache.count) caches for \(layers.count) layers")
        guard !layers.isEmpty else { return }
        var gradient = gradOutput
        for i in layers.indices.dropFirst().reversed() {
            gradient = layers[i].layer.backward(gradient, cache: cache[i])
        }
        layers[0].layer.accumulateParameterGradients(gradient, cache: cache[0])
    }

    public mutating func visitParameters(_ visit: (_ name: String, _ value: inout Tensor, _ gradient: inout Tensor) -> Void) {
        for i in layers.indices {
            let prefix = layers[i].name
            layers[i].layer.visitParameters { name, value, gradient in visit("\(prefix).\(name)", &value, &gradient) }
        }
    }

    public mutating func visitBuffers(_ visit: (_ name: String, _ value: inout Tensor) -> Void) {
        for i in layers.indices {
            let prefix = layers[i].name
            layers[i].layer.visitBuffers { name, value in visit("\(prefix).\(name)", &value) }
        }
    }
}

extension AnyLayer {
    /// Wraps an existential without boxing an AnyLayer in another.
    init(erasing layer: any Layer) {
        if let already = layer as? AnyLayer { self = already } else { self.init(opening: layer) }
    }

    private init(opening layer: any Layer) {
        func wrap<L: Layer>(_ concrete: L) -> AnyLayer { AnyLayer(concrete) }
        self = wrap(layer)
    }
}
