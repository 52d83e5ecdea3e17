import ArgumentParser
import Foundation
import Networks
import Services

/// The command-line half of one `train` run: the epoch loop with its progress printer,
/// checkpoints and stop signals (Ctrl-C, SIGTERM), and the closing line. Everything else (the
/// checks, the data, the trainer, the measurement, the model file) is the services'
/// `TrainingPlan`.
struct TrainingSession {
    var plan: TrainingPlan
    private let reporter = TrainingReporter(note: { Diagnostics.error($0) }, progressLine: Diagnostics.progressLine(label:),
                                            endProgressLine: Diagnostics.endProgressLine)

    init(_ request: TrainingRequest) throws {
        plan = try TrainingPlan(request, reporter: reporter)
    }

    private var request: TrainingRequest { plan.request }

    mutating func run() throws {
        let stop = StopSignal()
        var printer = TrainingProgressPrinter()
        let c = plan.trainer.configuration
        let position = plan.trainer.position
        if position.epoch > 0 || position.itemsDone > 0 {
            printer.say("resuming \(request.checkpointPath) at epoch \(position.epoch + 1)/\(c.epochs)"
                        + (position.itemsDone > 0 ? ", item \(position.itemsDone) of \(plan.data.split.train.count)" : ""))
        } else {
            let side = plan.trainer.recipe.inputSize
            let deeper = (c.fineTunedBlocks ?? 1) > 1 ? " fine-tuning its last \(c.fineTunedBlocks ?? 1) blocks" : ""
            let what = c.backbone.map { "a \(c.arch.rawValue) head on \($0.rawValue)\(deeper) at \(side)x\(side)" } ?? c.arch.rawValue
            printer.say("training \(what), \(c.bits) bits, on \(plan.data.split.train.count) images of \(request.dataset)"
                        + " (\(TrainingPlan.epochs(c.epochs)), batch \(c.batchSize), \(c.optimizer.rawValue) lr \(c.learningRate), seed \(c.seed))")
            if let warmStart = plan.warmStart { printer.say("starting from \(request.initFrom ?? ""): \(warmStart.plan.summary)") }
        }
        while !plan.trainer.isFinished {
            let outcome = plan.trainer.trainEpoch(shouldStop: { stop.received != nil }, progress: { printer.batch($0) })
            if case .completed(let summary) = outcome {
                let monitor = try plan.measureMonitor()
                printer.epoch(summary, of: c.epochs, elapsed: plan.trainer.elapsedSeconds, monitor: monitor)
            }
            try plan.trainer.checkpoint().save(to: request.checkpointPath)
            if let signal = stop.received, !plan.trainer.isFinished {
                let p = plan.trainer.position
                let place = p.itemsDone > 0 ? "epoch \(p.epoch + 1), batch \(p.batchesDone)/\(plan.trainer.source.batchesPerEpoch)"
                    : "\(p.epoch) of \(c.epochs) epochs"
                printer.say("interrupted (\(StopSignal.name(signal))) after \(place); checkpoint saved to \(request.checkpointPath)")
                printer.say("resume with: \(request.commandLine)\(request.resume ? "" : " --resume")")
                throw ExitCode(130)
            }
        }
        // The finished checkpoint is on disk: an interrupted measurement is redone by --resume.
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        let outcome = try plan.finish(reporter: reporter)
        let evaluation = outcome.evaluation
        for item in evaluation.skipped { printer.say("hashscope: skipped \(item)") }
        let metrics = evaluation.metrics
        let k = metrics.topK == metrics.databaseCount ? "all" : String(metrics.topK)
        print("wrote \(request.out): \(c.arch.rawValue), \(c.bits) bits, \(TrainingPlan.epochs(c.epochs)) in "
              + "\(TrainingDuration.text(plan.trainer.elapsedSeconds)); mAP@\(k) \(String(format: "%.4f", metrics.meanAveragePrecision)) "
              + "(\(plan.data.split.name): \(metrics.queries) queries, \(metrics.databaseCount) database)")
        fflush(nil)  // all C streams: stdout is block-buffered through a pipe (and a global Swift 6 will not touch)
        if !evaluation.skipped.isEmpty { throw ExitCode(1) }
    }
}
