import Dispatch
import Foundation
import Synchronization

/// SIGINT and SIGTERM as a request to stop: the signals are ignored by the process and a
/// dispatch source (on its own queue, not in a signal handler, so nothing async-signal-unsafe
/// runs there) records which arrived. The training loop polls `received` after each batch.
final class StopSignal: @unchecked Sendable {  // the sources are set once in init, then only held
    private let signal = Atomic<Int32>(0)
    private var sources: [DispatchSourceSignal] = []

    init(_ signals: [Int32] = [SIGINT, SIGTERM]) {
        let queue = DispatchQueue(label: "hashscope.stop-signal")
        for number in signals {
            Foundation.signal(number, SIG_IGN)  // otherwise the default action kills the process first
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [weak self] in
                _ = self?.signal.compareExchange(expected: 0, desired: number, ordering: .relaxed)
            }
            source.resume()
            sources.append(source)
        }
    }

    /// The first stop signal received, or nil.
    var received: Int32? {
        let number = signal.load(ordering: .relaxed)
        return number == 0 ? nil : number
    }

    static func name(_ number: Int32) -> String { number == SIGINT ? "SIGINT" : number == SIGTERM ? "SIGTERM" : "signal \(number)" }
}
