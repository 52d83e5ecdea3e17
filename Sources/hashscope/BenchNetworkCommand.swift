import ArgumentParser
import Foundation
import Networks
import Basics
import Render

/// `hashscope bench network`: encoding and training-step speed of one architecture at a batch
/// size and thread count (benchmarks/vs-pytorch runs it beside PyTorch on the same weights).
struct BenchNetworkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "network",
        abstract: "Time a network's encoding (eval forward) and one training step at a batch size.",
        discussion: """
            Builds --arch for 3 x --size x --size input (32, or 224 for the deephash-* \
            families; random weights from --seed, or --model's), draws a random input batch, \
            then times (a) encoding: an eval-mode forward pass with the batch norms folded into \
            their convolutions, as models are encoded; (b) one training step: zeroGrad, a training-mode forward, backward of a fixed random \
            dL/d(output) (standard normal / batch, the output's shape: codes then logits; no loss \
            function, so the step is the network alone; parameter gradients only, as in `train` \
            and in PyTorch for an input that does not require grad), and an SGD update (lr 0.01, momentum \
            0.9). Each is run --warmup times (3) untimed, then --iterations times; medians are reported. \
            forward_gflop: 2 x the multiply-adds of one forward pass at this batch, counted from \
            the layer shapes: convolutions (out pixels x out channels x in channels / groups x \
            kernel area), linears (in x out), and the attention products (PAM: Q^T K and V A^T; \
            CAM: X X^T and A X; CBAM's gate MLP and 7x7 conv); pooling, activations, BatchNorm, \
            softmax and elementwise work are not counted. encode_gflops = forward_gflop / the \
            median encode time. JSON keys: arch, bits, classes, batch, threads, iterations, \
            warmup, size, encode_ms, encode_images_per_second, train_step_ms, train_images_per_second, \
            forward_gflop, encode_gflops, train_gflops (3 x forward_gflop per step, the usual \
            forward + backward estimate; null with --encode-only). With --backbone (and \
            --fine-tune-blocks n) the network is --arch's hash head on that backbone as `train \
            --backbone` trains it: the backbone's last n blocks and the head, fed the frozen \
            trunk's output for --size images (default: the backbone's size) as a random \
            (batch, channels, side, side) map, as `train` reads it from its feature cache; the \
            weights are random, and the GFLOP keys are null (those layers are not counted). \
            Exit status: 0 ok, 2 bad arguments or weights.
            """)

    @Option(help: ArgumentHelp("Architecture (\(Architecture.allCases.map(\.rawValue).joined(separator: ", "))).", valueName: "name"))
    var arch: String

    @Option(help: "Code length.")
    var bits: Int

    @Option(help: "Classes of the classification head (the architecture's default when omitted).")
    var classes: Int?

    @Option(help: "Images per batch.")
    var batch = 128

    @Option(help: "Worker threads.")
    var threads = 2

    @Option(help: "Timed repetitions of each measurement.")
    var iterations = 10

    @Option(help: "Untimed runs of each measurement first.")
    var warmup = 3

    @Option(help: ArgumentHelp("Weights (.safetensors, PyTorch state_dict names); random from --seed when omitted.", valueName: "file"))
    var model: String?

    @Option(help: "Seed of the random weights, input and output gradient.")
    var seed: UInt64 = 0

    @Option(help: ArgumentHelp("A pretrained backbone (\(BackboneName.allCases.map(\.rawValue).joined(separator: ", "))): time --arch's head on it.", valueName: "name"))
    var backbone: String?

    @Option(name: .customLong("fine-tune-blocks"), help: ArgumentHelp("With --backbone: the backbone's last n blocks train with the head (default 1).", valueName: "n"))
    var fineTuneBlocks: Int?

    @Option(help: "Input side in pixels (default: 32; 224 for the deephash-* families; the backbone's with --backbone).")
    var size: Int?

    @Flag(help: "Time the encoding only, not the training step.")
    var encodeOnly = false

    @Flag(help: "Print JSON.")
    var json = false

    /// --size, or the architecture's usual input.
    var inputSize: Int {
        if let size { return size }
        if let name = backbone.flatMap(BackboneName.init(rawValue:)) { return name.defaultInputSize }
        return Architecture(rawValue: arch)?.isTorchvisionFamily == true ? 224 : 32
    }

    func validate() throws {
        guard Architecture(rawValue: arch) != nil else {
            throw ValidationError("unknown --arch \(arch) (known: \(Architecture.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard bits >= 1 else { throw ValidationError("--bits must be at least 1") }
        if let classes, classes < 1 { throw ValidationError("--classes must be at least 1") }
        guard (1...4096).contains(batch) else { throw ValidationError("--batch must be in 1...4096") }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be in 1...256") }
        guard (1...10_000).contains(iterations) else { throw ValidationError("--iterations must be in 1...10000") }
        guard (0...1000).contains(warmup) else { throw ValidationError("--warmup must be in 0...1000") }
        if let size, !(16...1024).contains(size) { throw ValidationError("--size must be in 16...1024") }
        if let backbone {
            guard let name = BackboneName(rawValue: backbone) else {
                throw ValidationError("unknown --backbone \(backbone) (known: \(BackboneName.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard Architecture(rawValue: arch)!.hasBackboneHead else {
                throw ValidationError("--arch \(arch) has no head for a backbone (cbam, dath and dah have)")
            }
            guard model == nil else { throw ValidationError("--model cannot be combined with --backbone: a head is timed with random weights") }
            if let fineTuneBlocks, !(1...name.maxFineTunedBlocks).contains(fineTuneBlocks) {
                throw ValidationError("--fine-tune-blocks must be in 1...\(name.maxFineTunedBlocks) for \(backbone)")
            }
        } else if fineTuneBlocks != nil {
            throw ValidationError("--fine-tune-blocks needs --backbone")
        }
    }

    func run() throws {
        MemoryTuning.keepFreedMemoryForReuse()
        // Read by the kernels on first use, so before any network work.
        Parallel.configure(workers: threads)
        let architecture = Architecture(rawValue: arch)!
        // Batch norm as the model file has it, or else as the arch's recipe trains it.
        let file = try model.map { try SafetensorsFile(path: $0) }
        let batchNorm = file.map { architecture.batchNorm(inFileWith: $0.names, backbone: nil) }
            ?? (TrainingRecipe.recipe(for: architecture)?.batchNorm ?? false)
        let backboneName = backbone.flatMap(BackboneName.init(rawValue:)), fineTuned = fineTuneBlocks ?? 1
        var network = architecture.build(.init(bits: bits, inputSize: inputSize, classes: classes, seed: seed, backbone: backboneName,
                                               fineTunedBlocks: fineTuned, batchNorm: batchNorm && architecture.takesBatchNorm(on: backboneName)))
        if let file {
            try ModelFile.load(file, into: &network)
        }
        var generator = SeededGenerator(seed: seed &+ 1)
        // A head reads the trunk's output, as `train` does from its feature cache.
        let itemShape = backboneName.map { $0.trunkShape(fineTuning: fineTuned, inputSize: inputSize) } ?? [3, inputSize, inputSize]
        let input = Tensor.randomNormal([batch] + itemShape, generator: &generator)
        let outputWidth = bits + (network.classCount ?? 0)
        let gradOutput = Tensor.randomNormal([batch, outputWidth], standardDeviation: 1 / Float(batch), generator: &generator)

        // (a) encoding, as models are encoded (batch norms folded: LoadedModel)
        var encoder = network.foldingBatchNorms()
        var encodeTimes: [Double] = []
        for i in 0..<(warmup + iterations) {
            let start = DispatchTime.now().uptimeNanoseconds
            let (output, _) = encoder.forward(input, training: false)
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            precondition(output.shape == [batch, outputWidth], "unexpected output shape \(output.shape)")
            if i >= warmup { encodeTimes.append(elapsed) }
        }
        // (b) training step
        var optimizer = SGD(learningRate: 0.01, momentum: 0.9)
        var trainTimes: [Double] = []
        for i in 0..<(encodeOnly ? 0 : warmup + iterations) {
            let start = DispatchTime.now().uptimeNanoseconds
            network.zeroGrad()
            let (_, cache) = network.forward(input, training: true)
            network.accumulateParameterGradients(gradOutput, cache: cache)
            optimizer.step(&network)
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            if i >= warmup { trainTimes.append(elapsed) }
        }
        let encodeMs = Self.median(encodeTimes), trainMs = encodeOnly ? nil : Self.median(trainTimes)
        let gflop = backboneName == nil
            ? 2 * Double(Self.forwardMultiplyAdds(architecture, bits: bits, classes: network.classCount, size: inputSize)) * Double(batch) / 1e9
            : nil
        let encodeRate = Double(batch) / (encodeMs / 1000), trainRate = trainMs.map { Double(batch) / ($0 / 1000) }
        let trainGflops = gflop.flatMap { g in trainMs.map { 3 * g / ($0 / 1000) } }
        if json {
            print(BenchNetworkJSON(arch: arch, bits: bits, classes: network.classCount, batch: batch, threads: threads,
                                   iterations: iterations, warmup: warmup, encode_ms: encodeMs, encode_images_per_second: encodeRate,
                                   train_step_ms: trainMs, train_images_per_second: trainRate, forward_gflop: gflop,
                                   encode_gflops: gflop.map { $0 / (encodeMs / 1000) }, train_gflops: trainGflops, size: inputSize,
                                   backbone: backboneName?.rawValue, fine_tuned_blocks: backboneName == nil ? nil : fineTuned).jsonText)
        } else {
            let on = backboneName.map { ", head on \($0.rawValue) fine-tuning \(fineTuned) block\(fineTuned == 1 ? "" : "s")" } ?? ""
            print(String(format: "%@ %d bits%@, %dx%d, batch %d, %d threads, median of %d:", arch, bits, on, inputSize, inputSize, batch,
                         threads, iterations))
            let encodeFlops = gflop.map { String(format: ", %.1f GFLOP/s (%.3f GFLOP per forward)", $0 / (encodeMs / 1000), $0) } ?? ""
            print(String(format: "  encode: %.2f ms/batch, %.0f images/s%@", encodeMs, encodeRate, encodeFlops))
            if let trainMs, let trainRate {
                let trainFlops = trainGflops.map { String(format: ", ~%.1f GFLOP/s (3 x forward)", $0) } ?? ""
                print(String(format: "  train step: %.2f ms, %.0f images/s%@", trainMs, trainRate, trainFlops))
            }
        }
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let n = sorted.count
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }

    /// Multiply-adds of one image's forward pass (see the discussion for what counts), from the
    /// layer shapes Architecture builds (and scripts/parity_pytorch.py mirrors).
    static func forwardMultiplyAdds(_ arch: Architecture, bits: Int, classes: Int?, size: Int) -> Int {
        func conv(_ cin: Int, _ cout: Int, _ k: Int, _ side: Int) -> Int { side * side * cout * cin * k * k }
        func pooled(_ side: Int) -> Int { (side - 3) / 2 + 1 }  // 3/2 pools, floor rounding
        let s1 = pooled(size), s2 = pooled(s1), s3 = pooled(s2)
        // DSH's extractor: conv5x5 3->32 @size, pool, [second stage @s1], pool, conv5x5 32->64 @s2, pool, fc.
        func dshExtractor(secondStage: Int) -> Int {
            conv(3, 32, 5, size) + secondStage + conv(32, 64, 5, s2) + 64 * s3 * s3 * 500
        }
        let head: (Int) -> Int = { features in features * bits + (classes ?? 0) * features }
        switch arch {
        case .dsh:
            return dshExtractor(secondStage: conv(32, 32, 5, s1)) + head(500)
        case .dfeh:
            return conv(3, 3, 3, size) * 2 + dshExtractor(secondStage: conv(32, 32, 5, s1)) + head(500)
        case .dah:
            let attention = conv(32, 32, 5, s1) + conv(32, 32, 3, s1) + conv(32, 32, 1, s1)
            return dshExtractor(secondStage: attention) + head(500)
        case .dath:
            let p = s2 * s2, c = 64, r = max(1, c / 8)
            let backbone = conv(3, 32, 5, size) + conv(32, 64, 5, s1)
            let pam = 2 * conv(c, r, 1, s2) + conv(c, c, 1, s2) + p * p * r + c * p * p
            let cam = 2 * c * c * p
            return backbone + pam + cam + 2 * c * 256 + 256 * bits + (classes ?? 0) * 256
        case .nin:
            let t1 = pooled(size), t2 = pooled(t1)
            let mlp1 = conv(3, 64, 5, size) + 2 * conv(64, 64, 1, size)
            let mlp2 = conv(64, 128, 5, t1) + 2 * conv(128, 128, 1, t1)
            let mlp3 = conv(128, 128, 3, t2) + 2 * conv(128, 128, 1, t2)
            return mlp1 + mlp2 + mlp3 + 128 * bits + bits * (classes ?? 10)
        case .cbam:
            let a = size, b = (size - 1) / 2 + 1, c = (b - 1) / 2 + 1  // 3x3 stride-2 pad-1 convs
            let stem = conv(3, 32, 3, a)
            let layer1 = 2 * conv(32, 32, 3, a)
            let layer2 = conv(32, 64, 3, b) + conv(64, 64, 3, b) + conv(32, 64, 1, b)
            let layer3 = conv(64, 128, 3, c) + conv(128, 128, 3, c) + conv(64, 128, 1, c)
            let gate = 2 * (128 * 8 + 8 * 128) + conv(2, 1, 7, c)
            return stem + layer1 + layer2 + layer3 + gate + 128 * bits + bits * (classes ?? 10)
        case .deephashAlexNet:
            let a = (size + 4 - 11) / 4 + 1, b = pooled(a), c = pooled(b), d = pooled(c)
            return conv(3, 64, 11, a) + conv(64, 192, 5, b) + conv(192, 384, 3, c) + conv(384, 256, 3, c)
                + conv(256, 256, 3, c) + 256 * d * d * 4096 + 4096 * 4096 + head(4096)
        case .deephashVGG16:
            let widths = [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]]
            var total = 0, channels = 3, side = size
            for stage in widths {
                for width in stage {
                    total += conv(channels, width, 3, side)
                    channels = width
                }
                side /= 2
            }
            return total + 512 * side * side * 4096 + 4096 * 4096 + head(4096)
        case .deephashResNet18, .deephashResNet34, .deephashResNet50, .deephashResNet101, .deephashResNet152:
            let (kind, counts) = Architecture.resNetPlan(depth: arch.torchvisionResNetDepth!)
            let stem = (size + 6 - 7) / 2 + 1  // conv1 7x7/2 pad 3
            var side = (stem + 2 - 3) / 2 + 1, total = conv(3, 64, 7, stem), channels = 64  // max pool 3/2 pad 1
            for (stage, count) in counts.enumerated() {
                let planes = 64 << stage, out = planes * kind.expansion
                for index in 0..<count {
                    let stride = index == 0 && stage > 0 ? 2 : 1
                    let outSide = (side - 1) / stride + 1
                    if kind == .basic {
                        total += conv(channels, planes, 3, outSide) + conv(planes, planes, 3, outSide)
                    } else {
                        total += conv(channels, planes, 1, side) + conv(planes, planes, 3, outSide) + conv(planes, out, 1, outSide)
                    }
                    if stride != 1 || channels != out { total += conv(channels, out, 1, outSide) }
                    channels = out
                    side = outSide
                }
            }
            return total + head(channels)
        }
    }
}
