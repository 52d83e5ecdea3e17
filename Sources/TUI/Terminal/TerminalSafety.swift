import CNcursesw
import Glibc

// The ONLY Swift file that may call the shim's hs_safety_* functions: each Swift object file
// gets its own copy of their C statics (see shim.h), so the handlers and the code that reads
// their flags must live in one object file. For the same reason the wrappers below are
// @inline(never): an inlined copy in another file or module would carry its own statics.

/// The process-wide self-pipe. Worker threads and signal handlers write a byte; the event loop
/// polls the read end. Created once and never closed, so a late `wake()` from a worker thread
/// can never write into a closed (or reused) descriptor.
struct SelfPipe: Sendable {
    let readFD: Int32
    let writeFD: Int32

    static let shared: SelfPipe? = {
        var fds: [Int32] = [-1, -1]
        guard hs_make_pipe(&fds) == 0 else { return nil }
        return SelfPipe(readFD: fds[0], writeFD: fds[1])
    }()

    /// The byte `wake()` writes; signal handlers write "s" (shim.h).
    static let wakeByte = UInt8(ascii: "!")

    /// One byte, never blocking: a full pipe already means "wake up".
    func poke() {
        var byte = Self.wakeByte
        _ = Glibc.write(writeFD, &byte, 1)
    }

    /// Empties the pipe so the next poll blocks again. True when a `wake()` was among the bytes
    /// (or the pipe was full, when nothing can be told apart), false for signal bytes only.
    @discardableResult
    func drain() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 256)
        var woken = false
        while true {
            let count = Glibc.read(readFD, &buffer, buffer.count)
            if count <= 0 { return woken }
            if count == buffer.count || buffer[0..<count].contains(Self.wakeByte) { woken = true }
        }
    }
}

/// A handle any thread may keep to wake the driver's `nextEvent` (for example when a search
/// finishes in the background). Safe to call after the driver is gone: it only writes a byte.
public struct TerminalWaker: Sendable {
    let pipe: SelfPipe?

    /// Makes a pending (or the next) `TerminalDriver.nextEvent` return promptly with nil.
    public func wake() { pipe?.poke() }
}

/// Signal handlers, stderr capture and the emergency restore, as the driver sees them.
enum TerminalSafety {
    /// Before newterm: remember the terminal modes and signal dispositions to go back to.
    @inline(never) static func snapshot(ttyFD: Int32) { _ = hs_safety_snapshot(ttyFD) }

    /// After newterm: install SIGTERM/SIGHUP/SIGINT (flag + wake), SIGWINCH (chained to ncurses,
    /// + wake) and fatal-signal handlers (emergency restore), a one-time atexit hook, and
    /// capture stderr (when it is the terminal) so stray messages cannot scribble on the UI.
    @inline(never) static func arm(pipe: SelfPipe?, mouse: Bool) {
        hs_safety_arm(pipe?.writeFD ?? -1, mouse ? 1 : 0)
    }

    /// Before endwin: the normal restore takes over from the emergency one.
    @inline(never) static func disarm() { hs_safety_disarm() }

    /// After endwin: previous signal dispositions back.
    @inline(never) static func uninstall() { hs_safety_uninstall() }

    /// After endwin: the real stderr back, with what was written to it meanwhile replayed.
    @inline(never) static func releaseStderr() { hs_safety_release_stderr() }

    /// The terminating signal received since arming, if any.
    static var terminateSignal: Int32? {
        @inline(never) get {
            let signal = hs_safety_terminate_signal()
            return signal == 0 ? nil : signal
        }
    }

    /// Whether SIGWINCH arrived since the last call (clears it).
    @inline(never) static func takeResized() -> Bool { hs_safety_take_resized() != 0 }

    /// Tests only: forget a recorded terminate signal.
    @inline(never) static func clearTerminate() { hs_safety_clear_terminate() }
}
