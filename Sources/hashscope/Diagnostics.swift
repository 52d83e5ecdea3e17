import Foundation

/// Everything the commands say on stderr.
enum Diagnostics {
    static func error(_ message: String) {
        FileHandle.standardError.write(Data("hashscope: \(message)\n".utf8))
    }

    /// A `label done/total` line redrawn in place, only when stderr is a terminal.
    static func progressLine(label: String) -> (@Sendable (Int, Int) -> Void)? {
        guard isatty(STDERR_FILENO) == 1 else { return nil }
        return { done, total in
            let percent = total == 0 ? 100 : done * 100 / total
            FileHandle.standardError.write(Data("\r\(label) \(done)/\(total) (\(percent)%)\u{1B}[K".utf8))
        }
    }

    static func endProgressLine() {
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
