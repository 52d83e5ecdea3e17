import Foundation

/// Results written by concurrent workers into numbered slots, each slot by exactly one worker,
/// read once they are all done. The lock makes each store and read safe; its cost is one
/// uncontended lock per slot, small beside the work that fills a slot (a query scored, an image
/// decoded, a chunk scanned).
public final class ConcurrentSlots<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Value?]

    public init(count: Int) { slots = Array(repeating: nil, count: count) }

    public func store(_ value: Value, at index: Int) {
        lock.lock()
        slots[index] = value
        lock.unlock()
    }

    /// The value in `index`; a slot no worker filled is a programming error.
    public func value(at index: Int) -> Value {
        lock.lock()
        defer { lock.unlock() }
        guard let value = slots[index] else { preconditionFailure("slot \(index) was never filled") }
        return value
    }

    /// Every slot's value, in slot order; all must be filled.
    public var values: [Value] {
        lock.lock()
        defer { lock.unlock() }
        return slots.enumerated().map { index, value in
            guard let value else { preconditionFailure("slot \(index) was never filled") }
            return value
        }
    }
}
