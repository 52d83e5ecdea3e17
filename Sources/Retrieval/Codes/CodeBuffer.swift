import Foundation

/// Immutable, word-aligned storage for packed codes: either owned memory or a region of a
/// memory-mapped index file (kept mapped for as long as any BinaryCodes uses it).
public final class CodeBuffer: @unchecked Sendable {
    public let words: UnsafePointer<UInt64>
    public let wordCount: Int
    private let release: () -> Void

    /// Copies `words` into owned memory.
    public convenience init(copying words: some Collection<UInt64>) {
        let memory = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, words.count))
        _ = UnsafeMutableBufferPointer(start: memory, count: words.count).initialize(from: words)
        self.init(words: UnsafePointer(memory), wordCount: words.count) { memory.deallocate() }
    }

    /// Takes ownership of memory the caller filled; `release` frees or unmaps it.
    public init(words: UnsafePointer<UInt64>, wordCount: Int, release: @escaping () -> Void) {
        self.words = words
        self.wordCount = wordCount
        self.release = release
    }

    /// Owned memory of `wordCount` zeroed words that `fill` writes once.
    public static func make(wordCount: Int, fill: (UnsafeMutableBufferPointer<UInt64>) throws -> Void) rethrows -> CodeBuffer {
        let memory = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, wordCount))
        memory.initialize(repeating: 0, count: max(1, wordCount))
        do { try fill(UnsafeMutableBufferPointer(start: memory, count: wordCount)) } catch {
            memory.deallocate()
            throw error
        }
        return CodeBuffer(words: UnsafePointer(memory), wordCount: wordCount) { memory.deallocate() }
    }

    deinit { release() }
}
