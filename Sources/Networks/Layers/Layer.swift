/// A differentiable building block with an explicit forward and backward pass.
///
/// Layers are structs (value types). Copying a layer snapshots its parameters, buffers and
/// random state at the cost of a few reference counts (tensors are copy-on-write): a gradient
/// check evaluates perturbed copies, a checkpoint is a copy, and no two models ever alias one
/// weight by accident. The price is `mutating`: `backward` accumulates parameter gradients into
/// gradient tensors stored beside the parameters, and `forward` may change state too, as in
/// PyTorch (BatchNorm's running statistics in training, Dropout's generator).
///
/// The contract:
/// - `forward` returns the output and a cache holding what `backward` needs (inputs, masks,
///   argmax indices, normalised values); the layer itself keeps no per-call state, so several
///   forward passes may be in flight and be back-propagated in any order.
/// - `backward` takes dL/d(output) and that cache, returns dL/d(input), and ADDS dL/d(parameter)
///   into the gradients (`+=`), so gradients of a layer used twice, or of several batches, sum.
///   `zeroGrad()` clears them.
/// - Parameters are a named list with PyTorch's names ("weight", "bias"; nested modules as
///   "conv1.weight"), listed by `visitParameters`, never found by reflection. Buffers (state that
///   is saved but not trained: "running_mean", "running_var") are listed by `visitBuffers`.
public protocol Layer: Sendable {
    /// What backward needs from the forward pass.
    associatedtype Cache

    /// input -> (output, cache). `training` selects batch statistics (BatchNorm) and dropping
    /// (Dropout); other layers ignore it.
    mutating func forward(_ input: Tensor, training: Bool) -> (output: Tensor, cache: Cache)

    /// dL/d(output) -> dL/d(input); adds dL/d(parameters) into the stored gradients.
    mutating func backward(_ gradOutput: Tensor, cache: Cache) -> Tensor

    /// `backward` for a caller that does not read dL/d(input): adds the same dL/d(parameters)
    /// and may skip the input gradient (a network's first convolution, whose input is the
    /// images: PyTorch skips it too for inputs that do not require grad).
    mutating func accumulateParameterGradients(_ gradOutput: Tensor, cache: Cache)

    /// Calls `visit(name, &value, &gradient)` for every trainable parameter, in a stable order.
    /// Mutations made by `visit` (an optimizer step, loading weights) are kept.
    mutating func visitParameters(_ visit: (_ name: String, _ value: inout Tensor, _ gradient: inout Tensor) -> Void)

    /// Calls `visit(name, &value)` for every buffer (saved, not trained), in a stable order.
    mutating func visitBuffers(_ visit: (_ name: String, _ value: inout Tensor) -> Void)
}

extension Layer {
    /// Most layers have no cheaper way than their backward pass.
    public mutating func accumulateParameterGradients(_ gradOutput: Tensor, cache: Cache) {
        _ = backward(gradOutput, cache: cache)
    }

    /// Parameter-free layers list nothing.
    public mutating func visitParameters(_ visit: (_ name: String, _ value: inout Tensor, _ gradient: inout Tensor) -> Void) {}

    /// Most layers have no buffers.
    public mutating func visitBuffers(_ visit: (_ name: String, _ value: inout Tensor) -> Void) {}

    /// Inference: the output of an evaluation-mode forward pass (state such as running
    /// statistics is read, not changed, in evaluation mode).
    public func callAsFunction(_ input: Tensor) -> Tensor {
        var copy = self
        return copy.forward(input, training: false).output
    }

    /// The trainable parameters by name.
    public var parameters: [(name: String, value: Tensor)] {
        var copy = self, list: [(name: String, value: Tensor)] = []
        copy.visitParameters { name, value, _ in list.append((name, value)) }
        return list
    }

    /// The accumulated gradients, with the names and order of `parameters`.
    public var gradients: [(name: String, value: Tensor)] {
        var copy = self, list: [(name: String, value: Tensor)] = []
        copy.visitParameters { name, _, gradient in list.append((name, gradient)) }
        return list
    }

    /// The buffers by name.
    public var buffers: [(name: String, value: Tensor)] {
        var copy = self, list: [(name: String, value: Tensor)] = []
        copy.visitBuffers { name, value in list.append((name, value)) }
        return list
    }

    /// Parameters then buffers: everything a model file stores (PyTorch's state_dict, less
    /// BatchNorm's integer num_batches_tracked).
    public var stateDict: [(name: String, value: Tensor)] { parameters + buffers }

    /// The number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }

    /// The parameter or buffer called `name`, or nil.
    public func parameter(_ name: String) -> Tensor? {
        stateDict.first { $0.name == name }?.value
    }

    /// The gradient of the parameter called `name`, or nil.
    public func gradient(_ name: String) -> Tensor? {
        gradients.first { $0.name == name }?.value
    }

    /// Replaces the parameter or buffer `name`. An unknown name or another shape is a programmer
    /// error here; model loading checks names and shapes first and reports them as user errors.
    public mutating func setParameter(_ name: String, to newValue: Tensor) {
        var found = false
        func replace(_ current: String, _ value: inout Tensor) {
            guard current == name else { return }
            precondition(value.shape == newValue.shape,
                         "\(name): shape \(newValue.shape) given for a parameter of shape \(value.shape)")
            value = newValue
            found = true
        }
        visitParameters { current, value, _ in replace(current, &value) }
        if !found { visitBuffers { current, value in replace(current, &value) } }
        precondition(found, "no parameter or buffer named \(name)")
    }

    /// Replaces the gradient of parameter `name` (same preconditions as `setParameter`).
    public mutating func setGradient(_ name: String, to newValue: Tensor) {
        var found = false
        visitParameters { current, _, gradient in
            guard current == name else { return }
            precondition(gradient.shape == newValue.shape,
                         "\(name): gradient shape \(newValue.shape) for a parameter of shape \(gradient.shape)")
            gradient = newValue
            found = true
        }
        precondition(found, "no parameter named \(name)")
    }

    /// Sets every gradient to zero.
    public mutating func zeroGrad() {
        visitParameters { _, _, gradient in gradient.zero() }
    }
}

/// Visits `child`'s parameters under `prefix` ("conv1" gives "conv1.weight"): how a composite
/// layer names its children's parameters, as PyTorch's module tree does.
public func visitParameters<Child: Layer>(
    of child: inout Child, prefix: String,
    _ visit: (_ name: String, _ value: inout Tensor, _ gradient: inout Tensor) -> Void
) {
    child.visitParameters { name, value, gradient in visit(prefix + "." + name, &value, &gradient) }
}

/// Visits `child`'s buffers under `prefix`.
public func visitBuffers<Child: Layer>(
    of child: inout Child, prefix: String, _ visit: (_ name: String, _ value: inout Tensor) -> Void
) {
    child.visitBuffers { name, value in visit(prefix + "." + name, &value) }
}
