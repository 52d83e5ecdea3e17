import Foundation
import Networks

/// A model file opened for encoding: its metadata, the network rebuilt from it with the file's
/// weights (batch norms folded into their convolutions: for inference only), and the weights'
/// fingerprint. Every failure names the file.
public struct LoadedModel: Sendable {
    public let path: String
    public let metadata: ModelMetadata
    public let network: HashingNetwork
    public let fingerprint: String
    /// The backbone a head sits on and its weights file (nil for a self-contained network).
    public let backbone: (name: BackboneName, weightsPath: String)?

    public init(path: String) throws(ServiceError) {
        let file: SafetensorsFile, decoded: ModelMetadata?
        do {
            file = try SafetensorsFile(path: path)
            decoded = try ModelMetadata.decode(file.metadata, path: path)
        } catch { throw ServiceError(error.localizedDescription) }
        guard let metadata = decoded else {
            throw ServiceError("\(path): no hashscope metadata (arch, bits, input size, normalisation): not a model hashscope can encode with")
        }
        guard let arch = Architecture(rawValue: metadata.arch) else {
            throw ServiceError("\(path): unknown arch '\(metadata.arch)' (this hashscope builds \(Architecture.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let size = metadata.inputSize
        guard size.channels == 3, size.width == size.height else {
            throw ServiceError("\(path): input size \(size) is not a square RGB input")
        }
        // The file decides whether there is a classifier head (and its width).
        let classes = file.entry("classifier.weight")?.shape.first
        let backbone = metadata.backbone.flatMap(BackboneName.init(rawValue:))  // validated by decode
        if backbone != nil && !arch.hasBackboneHead {
            throw ServiceError("\(path): arch '\(arch.rawValue)' has no head for the backbone \(metadata.backbone ?? "")")
        }
        let fineTuned = metadata.backboneFineTunedBlocks ?? 1  // validated by decode
        var network = arch.build(.init(bits: metadata.bits, inputSize: size.width, classes: classes, seed: 0, backbone: backbone,
                                       fineTunedBlocks: fineTuned, batchNorm: arch.batchNorm(inFileWith: file.names, backbone: backbone)))
        do { try ModelFile.load(file, into: &network) } catch { throw ServiceError(error.localizedDescription) }
        self.backbone = try backbone.map { name throws(ServiceError) in
            // The head's file holds no backbone weights: they come from the repository's cache.
            do {
                let weights = try BackboneWeights.locate(name, roots: BackboneWeights.roots(near: path))
                network.backbone = try BackboneWeights.open(name, path: weights).fineTuning(fineTuned)
                return (name, weights)
            } catch { throw ServiceError("\(path) needs its backbone: \(error.localizedDescription)") }
        }
        self.path = path
        self.metadata = metadata
        // The fingerprint is the file's network's; encoding runs its batch norms folded.
        fingerprint = ModelFingerprint.sha256(of: network)
        self.network = network.foldingBatchNorms()
    }

    public var preprocessor: ImagePreprocessor { ImagePreprocessor(metadata: metadata) }
}
