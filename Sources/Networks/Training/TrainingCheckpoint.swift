import Foundation

/// A resumable snapshot of a training run, one safetensors file: the model's state dict under
/// "model/<name>", the optimizer's state under "optimizer/<key>", and in `__metadata__` (key
/// `hashscope_checkpoint`) a JSON of the configuration, the position (epoch, items done, running
/// loss), the wall time so far, the finished epochs and free `context` strings the caller keeps
/// there (dataset, protocol, command line).
public struct TrainingCheckpoint: Sendable {
    public static let metadataKey = "hashscope_checkpoint"
    public static let currentVersion = 1
    static let modelPrefix = "model/", optimizerPrefix = "optimizer/"

    public struct Info: Codable, Sendable, Equatable {
        public var version: Int
        public var configuration: TrainingConfiguration
        public var position: TrainingPosition
        public var elapsedSeconds: Double
        public var history: [EpochSummary]
        public var context: [String: String]

        private enum CodingKeys: String, CodingKey {
            case version, configuration, position, elapsedSeconds = "elapsed_seconds", history, context
        }
    }

    public var info: Info
    public var model: [(name: String, value: Tensor)]
    public var optimizerState: [String: Tensor]

    public init(info: Info, model: [(name: String, value: Tensor)], optimizerState: [String: Tensor]) {
        self.info = info
        self.model = model
        self.optimizerState = optimizerState
    }

    /// Writes the checkpoint to `path` atomically (temp file, fsync, rename).
    public func save(to path: String) throws(ModelFileError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Plain values only: encoding cannot fail.
        let json = (try? encoder.encode(info)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        let tensors = model.map { (name: Self.modelPrefix + $0.name, value: $0.value) }
            + optimizerState.sorted { $0.key < $1.key }.map { (name: Self.optimizerPrefix + $0.key, value: $0.value) }
        try ModelFile.save(stateDict: tensors, metadata: [Self.metadataKey: json], to: path)
    }

    /// Reads a checkpoint; a file that is not one (or is damaged) is an error naming `path`.
    public static func load(_ path: String) throws(ModelFileError) -> TrainingCheckpoint {
        let (tensors, metadata) = try ModelFile.load(path)
        guard let json = metadata[metadataKey] else {
            throw ModelFileError(path: path, .metadataInvalid(detail: "not a hashscope training checkpoint (no \"\(metadataKey)\" metadata)"))
        }
        let info: Info
        do { info = try JSONDecoder().decode(Info.self, from: Data(json.utf8)) } catch {
            throw ModelFileError(path: path, .metadataInvalid(detail: "\"\(metadataKey)\" is not a checkpoint description: \(error)"))
        }
        guard info.version <= currentVersion else {
            throw ModelFileError(path: path, .metadataInvalid(detail: "checkpoint version \(info.version) is newer than this hashscope reads (\(currentVersion))"))
        }
        var model: [(name: String, value: Tensor)] = []
        var optimizer: [String: Tensor] = [:]
        for (name, value) in tensors {
            if name.hasPrefix(modelPrefix) {
                model.append((String(name.dropFirst(modelPrefix.count)), value))
            } else if name.hasPrefix(optimizerPrefix) {
                optimizer[String(name.dropFirst(optimizerPrefix.count))] = value
            } else {
                throw ModelFileError(path: path, .metadataInvalid(detail: "tensor \(name) belongs to neither model/ nor optimizer/"))
            }
        }
        model.sort { $0.name < $1.name }
        return TrainingCheckpoint(info: info, model: model, optimizerState: optimizer)
    }
}
