import Basics

/// torchvision's ResNet-50 as a backbone for hash heads (seed 004's CNN + CBAM + LSH on
/// Corel-1k): from a torchvision state dict (`resnet50-*.pth` imported by `hashscope import
/// --torch`: conv1, bn1, layer1-layer4; the ImageNet fc is ignored). The trunk is conv1 to
/// layer4's second bottleneck, frozen, its batch norms folded; the last stage, fine-tuned with
/// the head, is layer4's third bottleneck (2048 -> 512 -> 2048, identity shortcut), folded too.
/// Inputs are torchvision's ImageNet-normalised RGB.
public struct ResNet50Backbone: PretrainedBackbone {
    public var name: BackboneName { .resnet50 }
    /// conv1 ... layer4.1, folded.
    let trunkLayers: Sequential
    let lastBlock: ResNetBlock

    /// The network's torchvision names and shapes (what a weights file must hold).
    public static var expectedTensors: [(name: String, shape: [Int])] {
        torchvisionLayout().stateDict.map { ($0.name, $0.value.shape) }
    }

    /// torchvision's ResNet-50 without its fc, named as torchvision names it (conv1.weight,
    /// layer4.2.bn3.running_var, ...), with placeholder weights.
    private static func torchvisionLayout() -> Sequential {
        Architecture.deephashResNet50.build(.init(bits: 1, inputSize: 224)).features
    }

    /// The backbone from a state dict by torchvision's names. Precondition: every expected
    /// tensor is present with its shape (`init(contentsOf:)` checks a file and throws instead).
    public init(tensors: [String: Tensor]) {
        var layout = Self.torchvisionLayout()
        layout.visitParameters { name, value, _ in
            guard let t = tensors[name] else { preconditionFailure("ResNet-50 weights lack \(name)") }
            value = t
        }
        layout.visitBuffers { name, value in
            guard let t = tensors[name] else { preconditionFailure("ResNet-50 weights lack \(name)") }
            value = t
        }
        self.init(loaded: layout)
    }

    /// Loads an imported safetensors file, checking every name and shape first (torchvision's
    /// fc and BatchNorm's counters may be there and are ignored): one `ModelFileError` naming
    /// the file lists every problem.
    public init(contentsOf path: String) throws(ModelFileError) {
        let file = try SafetensorsFile(path: path)
        // One layout, built once: its names and shapes are what the file is checked against.
        var layout = Self.torchvisionLayout()
        try ModelFile.load(file, into: &layout) { ModelFile.isBatchCounter($0) || $0.hasPrefix("fc.") }
        self.init(loaded: layout)
    }

    /// Splits a loaded layout (conv1, bn1, relu, maxpool, layer1...layer4, avgpool) into the
    /// folded trunk and layer4's last block, the stage.
    private init(loaded layout: Sequential) {
        var trunk: [(String, any Layer)] = []
        var last: ResNetBlock?
        for (name, layer) in layout.layers where name != "avgpool" {
            guard name == "layer4", let stage = layer.base as? Sequential else {
                trunk.append((name, layer.base))
                continue
            }
            let blocks = stage.layers.map(\.layer.base)
            trunk.append((name, Sequential(Array(blocks.dropLast()))))
            last = blocks.last as? ResNetBlock
        }
        guard let last else { preconditionFailure("ResNet-50's layer4 ends in a bottleneck") }
        trunkLayers = Sequential(named: trunk).foldingBatchNorms()
        lastBlock = last.foldingBatchNorms()
    }

    public func trunk(_ input: Tensor) -> Tensor {
        precondition(input.rank == 4 && input.shape[1] == 3, "ResNet-50 expects (N,3,H,W), got \(input.shape)")
        return trunkLayers(input)
    }

    /// Only the last bottleneck is fine-tuned: its trunk's output is what the caches hold.
    public var fineTunedBlocks: Int { 1 }

    public func fineTuning(_ n: Int) -> any PretrainedBackbone {
        precondition(n == 1, "ResNet-50 heads fine-tune its last block only, not \(n)")
        return self
    }

    public func lastStage() -> Sequential { Sequential(named: [("block", lastBlock)]) }

    /// `lastStage()`'s structure with random weights.
    public static func untrainedLastStage(_ generator: inout SeededGenerator) -> Sequential {
        Sequential(named: [("block", ResNetBlock(.bottleneck, inChannels: 2048, planes: 512, stride: 1, generator: &generator)
            .foldingBatchNorms())])
    }
}
