import CNcursesw
import Foundation
import Glibc
import Basics
import Render

/// The one ncurses driver of the TUI: puts `CellGrid` frames on the screen and turns terminal
/// input, resizes and termination signals into `TerminalEvent`s.
///
/// Use it from one thread (the event loop); worker threads get `waker`. Every member must be
/// called from the thread that created the driver (debug builds check `draw` and
/// `nextEvent`). At most one driver is live at a time.
///
/// The terminal is restored by `restore()`, by `deinit`, before `nextEvent` returns
/// `.terminate`, at `exit()` (a C atexit hook), on a second SIGTERM/SIGHUP/SIGINT while the
/// app is busy (which then dies by that signal), and on a crash (SIGSEGV, SIGBUS, SIGILL,
/// SIGFPE, SIGABRT). While the driver is active, stderr (when it is the terminal) goes to a
/// temp file and is replayed on restore, so warnings and fatal-error messages neither scribble
/// on the UI nor vanish with the alternate screen.
public final class TerminalDriver {
    /// How many colours the terminal shows, from ncurses' COLORS: truecolor when COLORS >= 2^24
    /// (direct-colour terminfo such as tmux-direct or xterm-direct), then 256, 16, 8, and
    /// `.monochrome` when the terminal has no colours.
    public let colorMode: ColorMode

    /// Wakes `nextEvent` from any thread; keep a copy in background work.
    public let waker: TerminalWaker

    var screen: OpaquePointer?
    var isActive = false
    var lastSize: (columns: Int, rows: Int)

    // Drawing state (TerminalDriver+Drawing.swift).
    var previousFrame: CellGrid?
    var previousScreen: (columns: Int, rows: Int) = (0, 0)
    var needsFullRedraw = true
    var pairs: ColorPairTable
    var colors: CursesColorResolver

    // Input state (TerminalDriver+Input.swift).
    let pipe: SelfPipe
    var pendingEvents: [TerminalEvent] = []
    var terminated = false
    let clickMask: mmask_t

    let ownerThread = pthread_self()

    nonisolated(unsafe) private static var liveDriver = false

    /// Takes over the terminal: alternate screen, raw input (Ctrl-C arrives as a key), keypad
    /// keys, mouse clicks, hidden cursor, colours.
    ///
    /// Throws `TerminalError` (one clear line) without changing the terminal when standard
    /// input or output is not a terminal, TERM is unset or "dumb", terminfo does not know TERM,
    /// or another driver is live.
    public init() throws {
        let term = getenv("TERM").map { String(cString: $0) }
        try TerminalError.preflight(term: term, stdinIsTerminal: isatty(STDIN_FILENO) == 1,
                                    stdoutIsTerminal: isatty(STDOUT_FILENO) == 1)
        guard !Self.liveDriver else { throw TerminalError.alreadyActive }
        guard let pipe = SelfPipe.shared else { throw TerminalError.noWakePipe }
        Self.chooseCharacterLocale()

        TerminalSafety.snapshot(ttyFD: STDOUT_FILENO)
        // newterm, not initscr: initscr prints and exits on failure, newterm returns nil.
        guard let screen = newterm(nil, hs_stdout(), hs_stdin()) else {
            throw TerminalError.cannotInitialize(term: term ?? "")
        }
        // Without cursor addressing there is no full-screen UI (hardcopy and glass terminals).
        let cup = tigetstr("cup")
        if cup == nil || Int(bitPattern: cup) == -1 {
            endwin()
            delscreen(screen)
            throw TerminalError.unsupportedTerminal(term ?? "")
        }

        self.screen = screen
        self.pipe = pipe
        self.waker = TerminalWaker(pipe: pipe)
        raw()  // cbreak plus no ISIG/IXON: Ctrl-C, Ctrl-Z, Ctrl-S arrive as keys
        noecho()
        keypad(hs_stdscr(), true)
        nodelay(hs_stdscr(), true)  // nextEvent waits in poll(), not in ncurses
        scrollok(hs_stdscr(), false)
        leaveok(hs_stdscr(), true)
        curs_set(0)
        set_escdelay(25)  // Escape alone is reported after 25 ms instead of 1 s

        // Presses are reported at once: mouseinterval(0) turns off click detection, which would
        // otherwise hold every press back for 166 ms waiting for its release.
        let wanted = hs_button1_pressed() | hs_button1_clicked()
        clickMask = mousemask(wanted, nil) & wanted
        mouseinterval(0)

        var mode = ColorMode.monochrome
        var defaultColors = true
        if has_colors() && start_color() == OK {
            defaultColors = use_default_colors() == OK
            if hs_color_pairs() >= 2 { mode = ColorMode(terminalColors: Int(hs_colors())) }
        }
        colorMode = mode
        colors = CursesColorResolver(mode: mode, defaultColorsAvailable: defaultColors)
        pairs = ColorPairTable(capacity: Int(hs_color_pairs()))
        lastSize = (Int(hs_cols()), Int(hs_lines()))

        TerminalSafety.arm(pipe: pipe, mouse: clickMask != 0)
        isActive = true
        Self.liveDriver = true
    }

    deinit { restore() }

    /// The terminal's width in cells (the last known width after `restore()`).
    public var columns: Int { isActive ? Int(hs_cols()) : lastSize.columns }

    /// The terminal's height in cells (the last known height after `restore()`).
    public var rows: Int { isActive ? Int(hs_lines()) : lastSize.rows }

    /// Whether the driver still owns the terminal (false after `restore()` or `.terminate`).
    public var isRunning: Bool { isActive }

    /// Gives the terminal back exactly as it was: main screen, cursor visible, echo and line
    /// editing on, no mouse reporting, keypad off. Idempotent; afterwards `draw` does nothing
    /// and `nextEvent` only waits for its timeout or a wake.
    public func restore() {
        guard isActive else { return }
        isActive = false
        lastSize = (Int(hs_cols()), Int(hs_lines()))
        TerminalSafety.disarm()
        mousemask(0, nil)
        keypad(hs_stdscr(), false)
        curs_set(1)
        endwin()
        if let screen { delscreen(screen) }
        screen = nil
        TerminalSafety.uninstall()
        TerminalSafety.releaseStderr()
        Self.liveDriver = false
    }

    /// Makes a pending (or the next) `nextEvent` return promptly with nil. Thread-safe and
    /// async-signal-safe: it writes one byte to a pipe that lives as long as the process.
    public func wake() { waker.wake() }

    /// Debug builds: ncurses is not thread-safe, so only the creating thread may draw or read.
    func assertOwnerThread() {
        assert(pthread_equal(ownerThread, pthread_self()) != 0, "TerminalDriver used off its thread; only wake() is thread-safe")
    }

    /// Under the "C"/"POSIX" locale (LANG unset, common in containers and over ssh) ncurses
    /// could only draw ASCII; like Python (PEP 538) we then coerce the character type to
    /// C.UTF-8. Only LC_CTYPE is set: LC_NUMERIC would change how C code formats numbers.
    private static func chooseCharacterLocale() {
        guard let chosen = setlocale(LC_CTYPE, "") else { return }
        let name = String(cString: chosen)
        if name == "C" || name == "POSIX" { _ = setlocale(LC_CTYPE, "C.UTF-8") }
    }
}
