import ArgumentParser
import Foundation
import Networks
import Retrieval
import Services
import Basics

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a hashing network on a gallery under an evaluation protocol.",
        discussion: """
            Trains on the protocol's training items with the architecture's recipe (loss, \
            optimizer, schedule, augmentation, normalisation, input size), then measures \
            mAP on the protocol's queries and database and writes the model with its \
            provenance (dataset, protocol, epochs, seed, wall time, mAP, command line).

            Progress goes to stderr: a redrawn line on a terminal, one line per epoch \
            otherwise. After every epoch a checkpoint (weights, optimizer state, epoch and \
            position in the seeded order) is written atomically to OUT.checkpoint; it is \
            removed when OUT is written. Ctrl-C or SIGTERM finishes the current batch, \
            saves the checkpoint and exits 130; the same command with --resume continues \
            exactly where it stopped (same weights as an uninterrupted run).

            With --backbone (efficientnet-lite0, -lite1, -lite2 or resnet50) the network is the architecture's hash head \
            (cbam, dath or dah) on the pretrained backbone: the frozen trunk's features of \
            every gallery image are computed once per gallery and --size and cached as \
            float16 (in $XDG_CACHE_HOME/hashscope/features), then the head and the backbone's last \
            stage (fine-tuned) train on them; --fine-tune-blocks N moves the cut N blocks from \
            the end (Lite0's last two stages: 5), so more of the network trains, on a cache of \
            its own. The model file holds the head and names the backbone, whose weights stay \
            in .cache/backbones (scripts/fetch-backbone [NAME]).

            With --init-from M the run starts from M's weights instead of seeded ones (a warm \
            start: say, a 12-bit model from a 48-bit model's convolutions); the optimizer and \
            the schedule start fresh, and the model file's provenance names M with its own \
            provenance and fingerprint under "warm_start". A head may start from a head of \
            another arch on the same backbone: only its fine-tuned backbone blocks are copied.

            --batch-norm puts batch norm after the paper's convolutions of dsh, nin, dfeh, dah \
            or dath trained from scratch (their papers have none; nin's recipe has it, \
            --no-batch-norm trains NIN as published); the model file's provenance says so.

            Exit status: 0 model written; 2 bad input (unknown arch, optimizer, loss or protocol, \
            a gallery that cannot be opened or does not fit the protocol, bits outside \
            8...1024, epochs <= 0, a missing --out folder, a checkpoint of another run, \
            --batch-norm for another arch or a head, an --init-from model of another arch \
            (for a head: another backbone), input, normalisation or batch norm, or sharing \
            no tensor): \
            one line on stderr, nothing written; 130 interrupted, checkpoint saved.
            """)

    @OptionGroup var split: ProtocolOptions
    @OptionGroup var threading: ThreadOptions

    @Option(help: ArgumentHelp("Architecture (\(TrainingRecipe.trainable.map(\.rawValue).joined(separator: ", "))).", valueName: "name"))
    var arch: String

    @Option(help: "Code length in bits (8...1024).")
    var bits: Int

    @Option(help: "Epochs to train.")
    var epochs: Int

    @Option(help: ArgumentHelp("Images per batch (default: the recipe's).", valueName: "n"))
    var batch: Int?

    @Option(help: ArgumentHelp("Base learning rate (default: the recipe's).", valueName: "rate"))
    var lr: Double?

    @Option(help: ArgumentHelp("Optimizer: \(OptimizerChoice.names) (default: the recipe's).", valueName: "name"))
    var optimizer: String?

    @Option(help: ArgumentHelp("The loss in place of the recipe's: hash-centers (CSQ: each image pulled to its class's Hadamard-row center, + 1e-4 x squared quantization) or hash-centers+ce (also the classifier's cross-entropy).", valueName: "name"))
    var loss: String?

    @Option(help: ArgumentHelp("A pretrained backbone to train a head on (\(BackboneName.allCases.map(\.rawValue).joined(separator: ", "))).", valueName: "name"))
    var backbone: String?

    @Option(help: ArgumentHelp("Input size in pixels (default: the recipe's; 160 for EfficientNet-Lite heads, 224 for ResNet-50 ones).", valueName: "pixels"))
    var size: Int?

    @Option(name: .customLong("fine-tune-blocks"), help: ArgumentHelp("With --backbone: fine-tune the backbone's last n blocks with the head (default 1, its last stage; EfficientNet-Lite0 has 16 blocks, Lite1 and Lite2 21; ResNet-50 heads: 1).", valueName: "n"))
    var fineTuneBlocks: Int?

    @Option(name: .customLong("augment-copies"), help: ArgumentHelp("With --backbone: also cache this many augmented copies of the training features (rotation ±30°, brightness ±30%, shift, flip) and train on a seeded pick per image and epoch.", valueName: "n"))
    var augmentCopies = 0

    @Option(name: .customLong("backbone-weights"), help: ArgumentHelp("The backbone's imported weights (default: .cache/backbones/NAME.safetensors).", valueName: "file"))
    var backboneWeights: String?

    @Flag(inversion: .prefixedNo, help: "Batch norm after the paper's convolutions (dsh, nin, dfeh, dah, dath from scratch; default: the recipe's, on for nin only).")
    var batchNorm: Bool?

    @Option(name: .customLong("init-from"), help: ArgumentHelp("Start from this model's weights (written by `train`, same arch and input): tensors of the same name and shape are copied, the rest (a hash layer of another --bits) start from the seed.", valueName: "file"))
    var initFrom: String?

    @Option(help: ArgumentHelp("After every epoch, measure mAP on a fixed seeded sample of n of the protocol's queries against 10 n of its database images, for the learning curve (printed in the epoch line, kept in the checkpoint's history; 0: none).", valueName: "n"))
    var monitor = 0

    @Option(help: ArgumentHelp("The model file to write (.safetensors).", valueName: "file"))
    var out: String

    @Flag(help: "Continue from OUT.checkpoint.")
    var resume = false

    var request: TrainingRequest {
        TrainingRequest(arch: arch, bits: bits, dataset: split.dataset, protocolName: split.protocolName, epochs: epochs, batch: batch,
                        learningRate: lr, optimizer: optimizer, seed: split.seed, threads: threading.threads, backbone: backbone, size: size,
                        augmentCopies: augmentCopies, backboneWeights: backboneWeights, initFrom: initFrom, out: out,
                        resume: resume, loss: loss, monitor: monitor, fineTunedBlocks: fineTuneBlocks, batchNorm: batchNorm,
                        commandLine: commandLine)
    }

    func run() throws {
        threading.configure()
        MemoryTuning.keepFreedMemoryForReuse()
        var session = try TrainingSession(request)
        try session.run()
    }

    /// The arguments as typed, for provenance and the resume hint.
    var commandLine: String {
        (["hashscope"] + CommandLine.arguments.dropFirst()).map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
    }
}
