import Foundation
import Networks

/// A model file opened for encoding: its metadata, the network rebuilt from it with the file's
/// weights, and the weights' fingerprint. Every failure names the file.
struct LoadedModel {
    let path: String
    let metadata: ModelMetadata
    let network: HashingNetwork
    let fingerprint: String

    init(path: String) throws {
        let file = try SafetensorsFile(path: path)
        guard let metadata = try ModelMetadata.decode(file.metadata, path: path) else {
            throw InputError("\(path): no hashscope metadata (arch, bits, input size, normalisation): not a model hashscope can encode with")
        }
        guard let arch = Architecture(rawValue: metadata.arch) else {
            throw InputError("\(path): unknown arch '\(metadata.arch)' (this hashscope builds \(Architecture.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let size = metadata.inputSize
        guard size.channels == 3, size.width == size.height else {
            throw InputError("\(path): input size \(size) is not a square RGB input")
        }
        // The file decides whether there is a classifier head (and its width).
        let classes = file.entry("classifier.weight")?.shape.first
        var network = arch.build(.init(bits: metadata.bits, inputSize: size.width, classes: classes, seed: 0))
        try ModelFile.load(file, into: &network)
        self.path = path
        self.metadata = metadata
        self.network = network
        fingerprint = ModelFingerprint.sha256(of: network)
    }

    var preprocessor: ImagePreprocessor { ImagePreprocessor(metadata: metadata) }
}
