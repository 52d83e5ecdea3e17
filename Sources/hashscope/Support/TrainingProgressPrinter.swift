import Foundation
import Services
import Networks
import Retrieval

/// What `train` says on stderr while it runs: on a terminal, one status line redrawn in place
/// (at most 10 times a second); otherwise one plain line per epoch, for logs.
struct TrainingProgressPrinter {
    let isTerminal: Bool
    private var lastDraw = Date.distantPast

    init(isTerminal: Bool = isatty(STDERR_FILENO) == 1) { self.isTerminal = isTerminal }

    mutating func batch(_ p: BatchProgress) {
        guard isTerminal else { return }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.1 || p.batch == p.batches else { return }
        lastDraw = now
        let width = 20, filled = p.batches > 0 ? min(width, p.batch * width / p.batches) : width
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let line = "epoch \(p.epoch + 1)/\(p.epochs) [\(bar)] \(p.batch)/\(p.batches)  loss \(String(format: "%.4f", p.runningLoss))"
            + "  \(Int(p.imagesPerSecond)) img/s  ETA \(TrainingDuration.text(p.remainingSeconds))"
        write("\r" + line + "\u{1B}[K")
    }

    func epoch(_ s: EpochSummary, of epochs: Int, elapsed: Double, monitor: RetrievalMetrics? = nil) {
        let skipped = s.skipped > 0 ? "  skipped \(s.skipped) unreadable" : ""
        let sample = monitor.map {
            "  monitor mAP@\($0.topK == $0.databaseCount ? "all" : String($0.topK)) \(String(format: "%.4f", $0.meanAveragePrecision))"
                + " (\($0.queries) x \($0.databaseCount))"
        } ?? ""
        let line = "epoch \(s.epoch + 1)/\(epochs)  loss \(String(format: "%.4f", s.loss))\(sample)  \(Int(s.imagesPerSecond.rounded())) images/s"
            + "  elapsed \(TrainingDuration.text(elapsed))\(skipped)"
        write((isTerminal ? "\r" : "") + line + (isTerminal ? "\u{1B}[K\n" : "\n"))
    }

    /// Ends a redrawn line before other output.
    func clear() { if isTerminal { write("\r\u{1B}[K") } }

    func say(_ text: String) {
        clear()
        write(text + "\n")
    }

    /// stderr is unbuffered: each call is one write, seen at once through a pipe.
    private func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
}
