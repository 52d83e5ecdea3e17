import Foundation
import Interchange
import Networks

/// A PyTorch checkpoint of a torchvision-family hashing network (DeepHash-pytorch's AlexNet,
/// ResNet, VGG-16) as a hashscope network: its state dict renamed (`TorchvisionStateDict`),
/// checked against the network `arch` builds (every name and shape, all problems at once),
/// and loaded; input 224 x 224 with torchvision's ImageNet normalisation, as DeepHash-pytorch
/// feeds it. Every failure is one `ServiceError` naming the checkpoint.
public struct TorchvisionImport {
    public let network: HashingNetwork
    public let metadata: ModelMetadata
    /// Second copies of tensors (DeepHash's `feature_layers.*`, a kept `model_vgg.*`) that were
    /// checked equal to the first and dropped, and known tensors that are not the network's.
    public let droppedDuplicates: Int
    public let unused: [String]
    /// Integer tensors (BatchNorm's num_batches_tracked), which the network does not keep.
    public let skippedIntegers: Int

    /// DeepHash-pytorch's crop (Resize(256) then CenterCrop(224) at test time: hashscope
    /// resizes to 224 directly; the docs say so).
    public static let inputSize = 224

    public init(checkpoint: TorchCheckpoint, arch: Architecture, bits: Int?) throws(ServiceError) {
        try self.init(tensors: checkpoint.tensors, path: checkpoint.path, format: checkpoint.format.rawValue, arch: arch, bits: bits)
    }

    /// The state dict `tensors` of the checkpoint at `path` (`format`: zip or legacy, for the provenance).
    public init(tensors: [TorchTensor], path: String, format: String, arch: Architecture, bits requestedBits: Int?) throws(ServiceError) {
        guard arch.isTorchvisionFamily else {
            let families = Architecture.allCases.filter(\.isTorchvisionFamily).map(\.rawValue).joined(separator: ", ")
            throw ServiceError("--arch \(arch.rawValue) is trained by hashscope, not imported: use one of \(families)")
        }
        var renamed: [String: TorchTensor] = [:], aliases: [(ours: String, tensor: TorchTensor)] = []
        var unknown: [String] = [], unused: [String] = [], integers = 0
        for tensor in tensors {
            guard tensor.dtype.isFloatingPoint else {
                integers += 1
                continue
            }
            switch TorchvisionStateDict.mapping(of: tensor.name, arch: arch) {
            case .rename(let ours):
                if let earlier = renamed[ours] {
                    throw ServiceError("\(path): \(earlier.name) and \(tensor.name) both name \(ours)")
                }
                renamed[ours] = tensor
            case .alias(let ours): aliases.append((ours, tensor))
            case .unused: unused.append(tensor.name)
            case .unknown: unknown.append(tensor.name)
            }
        }
        var dropped = 0
        for (ours, tensor) in aliases {
            guard let first = renamed[ours] else {
                renamed[ours] = tensor
                continue
            }
            guard first.shape == tensor.shape, first.values == tensor.values else {
                throw ServiceError("\(path): \(tensor.name) should be another name of \(first.name), but their values differ")
            }
            dropped += 1
        }
        if !unknown.isEmpty {
            let shown = unknown.prefix(4).joined(separator: ", ") + (unknown.count > 4 ? ", ... (\(unknown.count) in all)" : "")
            throw ServiceError("\(path): not a \(arch.rawValue) state dict: no place for \(shown)")
        }
        guard let hash = renamed["hash.weight"], hash.shape.count == 2 else {
            throw ServiceError("\(path): no hash layer (hash_layer.weight, or the family's last fc) in the state dict")
        }
        let bits = hash.shape[0]
        if let requestedBits, requestedBits != bits {
            throw ServiceError("\(path): the hash layer \(hash.name) has \(bits) outputs, --bits says \(requestedBits)")
        }
        var network = arch.build(.init(bits: bits, inputSize: Self.inputSize))
        var problems: [String] = []
        let expected = network.stateDict
        for (name, value) in expected {
            guard let tensor = renamed[name] else {
                problems.append("\(name): missing (the network expects \(value.shape))")
                continue
            }
            if tensor.shape != value.shape { problems.append("\(tensor.name): file has \(tensor.shape), \(arch.rawValue) expects \(value.shape)") }
        }
        let expectedNames = Set(expected.map(\.name))
        for name in renamed.keys.sorted() where !expectedNames.contains(name) {
            problems.append("\(renamed[name]!.name): not a tensor of \(arch.rawValue)")
        }
        guard problems.isEmpty else {
            let shown = problems.prefix(6).joined(separator: "; ") + (problems.count > 6 ? "; ... (\(problems.count) problems)" : "")
            throw ServiceError("\(path): does not fit \(arch.rawValue) at \(bits) bits: \(shown)")
        }
        network.visitParameters { name, value, _ in value = Tensor(shape: value.shape, scalars: renamed[name]!.values) }
        network.visitBuffers { name, value in value = Tensor(shape: value.shape, scalars: renamed[name]!.values) }

        let source = URL(fileURLWithPath: path).lastPathComponent
        metadata = ModelMetadata(
            arch: arch.rawValue, bits: bits, inputSize: .init(height: Self.inputSize, width: Self.inputSize),
            normalization: .imageNet, classNames: [],
            provenance: .init(notes: "imported from \(source) (a PyTorch \(format) checkpoint of DeepHash-pytorch's \(arch.rawValue) network) by hashscope import --arch \(arch.rawValue)"))
        self.network = network
        droppedDuplicates = dropped
        self.unused = unused
        skippedIntegers = integers
    }
}
