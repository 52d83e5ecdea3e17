import Basics
import Interchange
import Networks

/// A random deephash-resnetNN network and its state dict laid out as DeepHash-pytorch's
/// network.py saves it: conv1/bn1/layerN and hash_layer, every trunk tensor again under
/// feature_layers.N (its nn.Sequential of the same modules), and BatchNorm's integer counters.
/// Running statistics are random, so a buffer that failed to load would show.
public enum DeepHashStateDict {
    public static func resNet(_ arch: Architecture = .deephashResNet18, bits: Int, seed: UInt64 = 3)
        -> (network: HashingNetwork, tensors: [TorchTensor]) {
        var network = arch.build(.init(bits: bits, inputSize: 224, seed: seed))
        var generator = SeededGenerator(seed: seed &+ 6)
        network.visitBuffers { _, value in value = value.map { _ in 0.5 + generator.nextFloat() } }
        var tensors: [TorchTensor] = []
        let sequentialIndex = ["conv1": "0", "bn1": "1", "layer1": "4", "layer2": "5", "layer3": "6", "layer4": "7"]
        for (name, value) in network.stateDict {
            let torchName = name.hasPrefix("features.") ? String(name.dropFirst("features.".count))
                : name.replacingOccurrences(of: "hash.", with: "hash_layer.")
            tensors.append(TorchTensor(name: torchName, dtype: .float32, shape: value.shape, values: value.scalars))
            if let dot = torchName.firstIndex(of: "."), let index = sequentialIndex[String(torchName[..<dot])] {
                tensors.append(TorchTensor(name: "feature_layers.\(index)" + torchName[dot...], dtype: .float32,
                                           shape: value.shape, values: value.scalars))
            }
            if torchName.hasSuffix("running_var") {
                tensors.append(TorchTensor(name: torchName.replacingOccurrences(of: "running_var", with: "num_batches_tracked"),
                                           dtype: .int64, shape: [], values: [0]))
            }
        }
        return (network, tensors)
    }
}
