import Foundation
import Services

/// Runs the worker's effects on one background thread, newest first where it matters: a new
/// search, thumbnail set or sweep replaces one still waiting, and opening a workspace drops
/// all three (they were for the old one). Answers wait in an inbox the UI loop drains; `wake`
/// interrupts the loop's wait for input so they show at once.
final class ExplorerQueue: @unchecked Sendable {
    private let worker: ExplorerWorker
    private let wake: @Sendable () -> Void
    private let condition = NSCondition()
    private var pending: [Effect] = []
    private var inbox: [AppEvent] = []
    private var stopped = false

    init(worker: ExplorerWorker, wake: @escaping @Sendable () -> Void) {
        self.worker = worker
        self.wake = wake
        let thread = Thread { [self] in loop() }
        thread.name = "hashscope worker"
        thread.stackSize = 8 << 20
        thread.start()
    }

    func submit(_ effects: [Effect]) {
        guard !effects.isEmpty else { return }
        condition.lock()
        for effect in effects {
            switch effect {
            case .quit: continue
            case .openWorkspace: pending.removeAll { Self.isQueryWork($0) || Self.kind($0) == 0 }
            default: if Self.isQueryWork(effect) { pending.removeAll { Self.kind($0) == Self.kind(effect) } }
            }
            pending.append(effect)
        }
        condition.signal()
        condition.unlock()
    }

    /// Events that arrived since the last call.
    func drain() -> [AppEvent] {
        condition.lock()
        defer { condition.unlock() }
        let events = inbox
        inbox.removeAll()
        return events
    }

    func stop() {
        condition.lock()
        stopped = true
        pending.removeAll()
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while pending.isEmpty && !stopped { condition.wait() }
            if stopped {
                condition.unlock()
                return
            }
            let effect = pending.removeFirst()
            condition.unlock()
            worker.perform(effect) { [self] event in
                condition.lock()
                inbox.append(event)
                condition.unlock()
                wake()
            }
        }
    }

    private static func isQueryWork(_ effect: Effect) -> Bool { [1, 2, 3, 6].contains(kind(effect)) }

    /// 0 open, 1 search, 2 thumbnails, 3 sweep, 4 save, 5 quit, 6 the comparison's search.
    private static func kind(_ effect: Effect) -> Int {
        switch effect {
        case .openWorkspace: return 0
        case .search: return 1
        case .thumbnails: return 2
        case .sweep: return 3
        case .save: return 4
        case .quit: return 5
        case .compare: return 6
        }
    }
}
