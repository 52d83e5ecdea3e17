import Foundation

/// What a model file records about its model beyond the weights: enough to rebuild the network
/// (arch, bits, input size, classes), to feed it pixels the way it was trained (normalisation),
/// and to say where it came from (provenance).
///
/// Stored in the safetensors `__metadata__` (strings only) as one JSON string under
/// `hashscope`, which is what `decode` reads, plus a few flat keys for people running
/// `safetensors`' or `jq`'s tools over the header; those are written, never read back.
public struct ModelMetadata: Codable, Sendable, Equatable {
    /// The `__metadata__` key holding the JSON.
    public static let key = "hashscope"
    /// Bumped when a field changes meaning; newer files are refused rather than misread
    /// (2: a head on a backbone; 3: a head fine-tuning more than the backbone's last stage).
    public static let currentVersion = 3

    public struct InputSize: Codable, Sendable, Equatable, CustomStringConvertible {
        public var channels: Int, height: Int, width: Int
        public init(channels: Int = 3, height: Int, width: Int) {
            self.channels = channels
            self.height = height
            self.width = width
        }
        /// "3x32x32" (C x H x W).
        public var description: String { "\(channels)x\(height)x\(width)" }
    }

    /// How 0...255 pixels become network inputs.
    public enum Normalization: Codable, Sendable, Equatable, CustomStringConvertible {
        /// torchvision's: (x / 255 - mean[c]) / std[c].
        case meanStd(mean: [Float], std: [Float])
        /// (x - offset) / scale on raw pixels: EfficientNet-Lite's (x - 127) / 128.
        case affine(offset: Float, scale: Float)

        public static let imageNet = Normalization.meanStd(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])
        public static let efficientNetLite = Normalization.affine(offset: 127, scale: 128)

        /// Normalised = pixel * scale + bias for channel `c`: one fused multiply-add per value.
        public func scaleAndBias(channel c: Int) -> (scale: Float, bias: Float) {
            switch self {
            case .meanStd(let mean, let std):
                precondition(c >= 0 && c < mean.count && c < std.count, "channel \(c) has no mean/std")
                return (1 / (255 * std[c]), -mean[c] / std[c])
            case .affine(let offset, let scale):
                return (1 / scale, -offset / scale)
            }
        }

        public var description: String {
            func list(_ values: [Float]) -> String { values.map { "\($0)" }.joined(separator: ",") }
            switch self {
            case .meanStd(let mean, let std): return "(x/255-mean)/std mean=\(list(mean)) std=\(list(std))"
            case .affine(let offset, let scale): return "(x-\(offset))/\(scale)"
            }
        }

        private enum CodingKeys: String, CodingKey { case kind, mean, std, offset, scale }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            switch try container.decode(String.self, forKey: .kind) {
            case "mean_std":
                self = .meanStd(mean: try container.decode([Float].self, forKey: .mean),
                                std: try container.decode([Float].self, forKey: .std))
            case "affine":
                self = .affine(offset: try container.decode(Float.self, forKey: .offset),
                               scale: try container.decode(Float.self, forKey: .scale))
            case let other:
                throw DecodingError.dataCorruptedError(forKey: .kind, in: container,
                                                       debugDescription: "unknown normalization \"\(other)\" (known: mean_std, affine)")
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            switch self {
            case .meanStd(let mean, let std):
                try container.encode("mean_std", forKey: .kind)
                try container.encode(mean, forKey: .mean)
                try container.encode(std, forKey: .std)
            case .affine(let offset, let scale):
                try container.encode("affine", forKey: .kind)
                try container.encode(offset, forKey: .offset)
                try container.encode(scale, forKey: .scale)
            }
        }
    }

    /// Where the weights came from; every field optional (an imported model knows little).
    public struct Provenance: Codable, Sendable, Equatable {
        public var dataset: String?
        public var evaluationProtocol: String?
        public var epochs: Int?
        public var seed: UInt64?
        public var wallTimeSeconds: Double?
        /// mAP measured at the end of training under `evaluationProtocol`.
        public var meanAveragePrecision: Double?
        /// Free text: the command line, "imported from X.pth", a version.
        public var notes: String?
        /// The model whose weights the run started from (`train --init-from`), described with
        /// its own provenance and fingerprint; nil for a run from seeded initial weights. The
        /// epochs and wall time above are this run's only.
        public var warmStart: String?

        public init(dataset: String? = nil, evaluationProtocol: String? = nil, epochs: Int? = nil, seed: UInt64? = nil,
                    wallTimeSeconds: Double? = nil, meanAveragePrecision: Double? = nil, notes: String? = nil,
                    warmStart: String? = nil) {
            self.dataset = dataset
            self.evaluationProtocol = evaluationProtocol
            self.epochs = epochs
            self.seed = seed
            self.wallTimeSeconds = wallTimeSeconds
            self.meanAveragePrecision = meanAveragePrecision
            self.notes = notes
            self.warmStart = warmStart
        }

        private enum CodingKeys: String, CodingKey {
            case dataset, evaluationProtocol = "protocol", epochs, seed
            case wallTimeSeconds = "wall_time_seconds", meanAveragePrecision = "map", notes
            case warmStart = "warm_start"
        }
    }

    public var version: Int
    public var arch: String
    public var bits: Int
    public var inputSize: InputSize
    public var normalization: Normalization
    public var classNames: [String]
    public var provenance: Provenance
    /// The pretrained backbone the network is a head on (its weights are not in the file),
    /// or nil for a self-contained network. Files with one are version 2.
    public var backbone: String?
    /// How many of the backbone's last blocks the file's head holds (nil: 1, its last stage).
    public var backboneFineTunedBlocks: Int?

    public init(arch: String, bits: Int, inputSize: InputSize, normalization: Normalization,
                classNames: [String], provenance: Provenance = Provenance(), backbone: String? = nil,
                backboneFineTunedBlocks: Int? = nil) {
        // A hashscope that knows only last-stage heads would misread a deeper one: it refuses version 3.
        version = backbone == nil ? 1 : (backboneFineTunedBlocks ?? 1) > 1 ? 3 : 2
        self.backbone = backbone
        self.backboneFineTunedBlocks = backboneFineTunedBlocks
        self.arch = arch
        self.bits = bits
        self.inputSize = inputSize
        self.normalization = normalization
        self.classNames = classNames
        self.provenance = provenance
    }

    private enum CodingKeys: String, CodingKey {
        case version, arch, bits, inputSize = "input_size", normalization, classNames = "class_names", provenance, backbone
        case backboneFineTunedBlocks = "backbone_fine_tuned_blocks"
    }

    // MARK: strings in __metadata__

    /// The `__metadata__` entries: the JSON under `key`, flat copies for people, and
    /// "format": "pt" (tensor names and layouts are PyTorch's; Hugging Face tools look for it).
    public var strings: [String: String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain values (no NaN: `validate` rejects them where it matters) cannot fail.
        let json = (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        var strings: [String: String] = [
            Self.key: json, "format": "pt", "arch": arch, "bits": "\(bits)",
            "input_size": inputSize.description, "normalization": normalization.description,
            "classes": classNames.joined(separator: ","),
        ]
        let p = provenance
        if let dataset = p.dataset { strings["dataset"] = dataset }
        if let evaluationProtocol = p.evaluationProtocol { strings["protocol"] = evaluationProtocol }
        if let epochs = p.epochs { strings["epochs"] = "\(epochs)" }
        if let seed = p.seed { strings["seed"] = "\(seed)" }
        if let wallTime = p.wallTimeSeconds { strings["wall_time_seconds"] = "\(wallTime)" }
        if let map = p.meanAveragePrecision { strings["map"] = "\(map)" }
        if let warmStart = p.warmStart { strings["warm_start"] = warmStart }
        if let backbone { strings["backbone"] = backbone }
        if let backboneFineTunedBlocks { strings["backbone_fine_tuned_blocks"] = "\(backboneFineTunedBlocks)" }
        return strings
    }

    /// The metadata in a file's `__metadata__`, or nil when it has none of ours (a model made
    /// elsewhere). Present but unreadable or inconsistent is an error naming `path`.
    public static func decode(_ strings: [String: String], path: String) throws(ModelFileError) -> ModelMetadata? {
        guard let json = strings[key] else { return nil }
        let metadata: ModelMetadata
        do {
            metadata = try JSONDecoder().decode(ModelMetadata.self, from: Data(json.utf8))
        } catch let error as DecodingError {
            throw ModelFileError(path: path, .metadataInvalid(detail: "\"\(key)\": \(Self.describe(error))"))
        } catch {
            throw ModelFileError(path: path, .metadataInvalid(detail: "\"\(key)\": \(error)"))
        }
        if let problem = metadata.validationProblem { throw ModelFileError(path: path, .metadataInvalid(detail: problem)) }
        return metadata
    }

    /// What is inconsistent, or nil.
    public var validationProblem: String? {
        if version > Self.currentVersion {
            return "written by a newer hashscope (metadata version \(version), this one reads up to \(Self.currentVersion))"
        }
        if arch.isEmpty { return "empty arch" }
        if let backbone, BackboneName(rawValue: backbone) == nil {
            return "unknown backbone '\(backbone)' (this hashscope knows \(BackboneName.allCases.map(\.rawValue).joined(separator: ", ")))"
        }
        if let n = backboneFineTunedBlocks {
            guard let name = backbone.flatMap(BackboneName.init(rawValue:)) else { return "backbone_fine_tuned_blocks without a backbone" }
            if !(1...name.maxFineTunedBlocks).contains(n) {
                return "backbone_fine_tuned_blocks \(n) is outside 1...\(name.maxFineTunedBlocks) for \(name.rawValue)"
            }
        }
        if bits <= 0 { return "bits must be positive, got \(bits)" }
        if inputSize.channels <= 0 || inputSize.height <= 0 || inputSize.width <= 0 {
            return "input size \(inputSize) must be positive"
        }
        switch normalization {
        case .meanStd(let mean, let std):
            if mean.count != inputSize.channels || std.count != inputSize.channels {
                return "normalization has \(mean.count) means and \(std.count) stds for \(inputSize.channels) channels"
            }
            if !(mean + std).allSatisfy(\.isFinite) || std.contains(where: { $0 <= 0 }) {
                return "normalization std must be positive and every value finite"
            }
        case .affine(let offset, let scale):
            if !offset.isFinite || !scale.isFinite || scale == 0 { return "normalization scale must be finite and non-zero" }
        }
        return nil
    }

    private static func describe(_ error: DecodingError) -> String {
        func location(_ path: [any CodingKey]) -> String {
            path.isEmpty ? "top level" : path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(location(context.codingPath + [key])) is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(location(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
