import CNcursesw
import Glibc
import Basics
import Render
import Services
@testable import TUI
import XCTest

/// The driver's pure pieces (key table, palette mapping, colour pairs, frame diff) and its
/// refusal to start without a usable terminal. None of these needs a tty; CI has none.
final class TerminalDriverTests: XCTestCase {
    // MARK: Key decoding

    func testCharactersDecodeToKeys() {
        func key(_ code: UInt32) -> DecodedInput { KeyDecoder.decode(code: code, isFunctionKey: false) }
        XCTAssertEqual(key(3), .key(.interrupt))
        XCTAssertEqual(key(8), .key(.backspace))
        XCTAssertEqual(key(127), .key(.backspace))
        XCTAssertEqual(key(9), .key(.tab))
        XCTAssertEqual(key(10), .key(.enter))
        XCTAssertEqual(key(13), .key(.enter))
        XCTAssertEqual(key(27), .key(.escape))
        XCTAssertEqual(key(1), .key(.control("a")))
        XCTAssertEqual(key(17), .key(.control("q")))
        XCTAssertEqual(key(26), .key(.control("z")))
        XCTAssertEqual(key(32), .key(.character(" ")))
        XCTAssertEqual(key(0x71), .key(.character("q")))
        XCTAssertEqual(key(0xE9), .key(.character("é")))
        XCTAssertEqual(key(0x6F22), .key(.character("漢")))
        XCTAssertEqual(key(0), .ignored)
        XCTAssertEqual(key(28), .ignored)
        XCTAssertEqual(key(0x9B), .ignored)
        XCTAssertEqual(key(0xD800), .ignored)  // a lone surrogate is no scalar
    }

    func testFunctionKeysDecode() {
        func key(_ code: Int32) -> DecodedInput { KeyDecoder.decode(code: UInt32(code), isFunctionKey: true) }
        XCTAssertEqual(key(KEY_UP), .key(.up))
        XCTAssertEqual(key(KEY_DOWN), .key(.down))
        XCTAssertEqual(key(KEY_LEFT), .key(.left))
        XCTAssertEqual(key(KEY_RIGHT), .key(.right))
        XCTAssertEqual(key(KEY_ENTER), .key(.enter))
        XCTAssertEqual(key(KEY_BACKSPACE), .key(.backspace))
        XCTAssertEqual(key(KEY_DC), .key(.delete))
        XCTAssertEqual(key(KEY_PPAGE), .key(.pageUp))
        XCTAssertEqual(key(KEY_NPAGE), .key(.pageDown))
        XCTAssertEqual(key(KEY_HOME), .key(.home))
        XCTAssertEqual(key(KEY_END), .key(.end))
        XCTAssertEqual(key(hs_key_f(1)), .key(.function(1)))
        XCTAssertEqual(key(hs_key_f(12)), .key(.function(12)))
        XCTAssertEqual(key(KEY_RESIZE), .resize)
        XCTAssertEqual(key(KEY_MOUSE), .mouse)
        XCTAssertEqual(key(KEY_BTAB), .ignored)
    }

    // MARK: Palette

    func testXtermPaletteValues() {
        XCTAssertEqual(XtermPalette.rgb(ofIndex: 9), 0xFF0000)
        XCTAssertEqual(XtermPalette.rgb(ofIndex: 16), 0x000000)
        XCTAssertEqual(XtermPalette.rgb(ofIndex: 67), 0x5F87AF)
        XCTAssertEqual(XtermPalette.rgb(ofIndex: 196), 0xFF0000)
        XCTAssertEqual(XtermPalette.rgb(ofIndex: 231), 0xFFFFFF)
        XCTAssertEqual(XtermPalette.rgb(ofIndex: 232), 0x080808)
        XCTAssertEqual(XtermPalette.rgb(ofIndex: 255), 0xEEEEEE)
    }

    func testNearestPaletteColours() {
        // 256-colour terminals: only 16...255 (theme-independent), cube or grey ramp.
        XCTAssertEqual(XtermPalette.nearest240(0xFF0000), 196)
        XCTAssertEqual(XtermPalette.nearest240(0x000000), 16)
        XCTAssertEqual(XtermPalette.nearest240(0xFFFFFF), 231)
        XCTAssertEqual(XtermPalette.nearest240(0x5F87AF), 67)
        XCTAssertEqual(XtermPalette.nearest240(0x808080), 244)  // grey ramp 0x808080
        XCTAssertEqual(XtermPalette.nearest240(0xFE0101), 196)
        // 16 colours: pure red is xterm's bright red 9 (0xFF0000), not red 1 (0xCD0000).
        XCTAssertEqual(XtermPalette.nearest16(0xFF0000), 9)
        XCTAssertEqual(XtermPalette.nearest16(0xCC0000), 1)
        XCTAssertEqual(XtermPalette.nearest16(0x000000), 0)
        XCTAssertEqual(XtermPalette.nearest16(0xFFFFFF), 15)
        XCTAssertEqual(XtermPalette.nearest16(0x808080), 8)
        // 8 colours: pure red is red 1.
        XCTAssertEqual(XtermPalette.nearest8(0xFF0000), 1)
        XCTAssertEqual(XtermPalette.nearest8(0xFFFFFF), 7)
        XCTAssertEqual(XtermPalette.nearest8(0x0000FF), 4)
        // Every answer is inside its range.
        for rgb in stride(from: UInt32(0), to: 0x100_0000, by: 0x03_0507) {
            XCTAssertTrue((16...255).contains(XtermPalette.nearest240(rgb)))
            XCTAssertLessThan(XtermPalette.nearest16(rgb), 16)
            XCTAssertLessThan(XtermPalette.nearest8(rgb), 8)
        }
    }

    func testColourResolutionPerMode() {
        let truecolor = CursesColorResolver(mode: .truecolor)
        XCTAssertEqual(truecolor.foreground(.rgb(0x123456)), 0x123456)
        XCTAssertEqual(truecolor.foreground(.rgb(0x000000)), 0x010101)  // 0...7 would be ANSI pens
        XCTAssertEqual(truecolor.foreground(.indexed(3)), 3)
        XCTAssertEqual(truecolor.foreground(.indexed(196)), 0xFF0000)
        XCTAssertEqual(truecolor.background(.default), -1)

        let indexed = CursesColorResolver(mode: .indexed240)
        XCTAssertEqual(indexed.foreground(.rgb(0xFF0000)), 196)
        XCTAssertEqual(indexed.foreground(.indexed(5)), 5)

        let ansi16 = CursesColorResolver(mode: .indexed16)
        XCTAssertEqual(ansi16.foreground(.rgb(0xFF0000)), 9)
        XCTAssertEqual(ansi16.foreground(.indexed(12)), 12)
        XCTAssertEqual(ansi16.foreground(.indexed(196)), 9)

        let ansi8 = CursesColorResolver(mode: .indexed8)
        XCTAssertEqual(ansi8.foreground(.rgb(0xFF0000)), 1)
        XCTAssertEqual(ansi8.foreground(.indexed(9)), 1)  // bright red drops to red
        XCTAssertEqual(ansi8.foreground(.indexed(196)), 1)
        XCTAssertEqual(ansi8.foreground(.indexed(7)), 7)

        let mono = CursesColorResolver(mode: .monochrome)
        XCTAssertEqual(mono.foreground(.rgb(0xFF0000)), -1)
        XCTAssertEqual(mono.background(.indexed(4)), -1)

        let noDefaults = CursesColorResolver(mode: .indexed240, defaultColorsAvailable: false)
        XCTAssertEqual(noDefaults.foreground(.default), 7)
        XCTAssertEqual(noDefaults.background(.default), 0)
    }

    // MARK: Colour pairs

    func testColourPairsAreReusedAndRunOut() {
        var table = ColorPairTable(capacity: 4)  // pairs 1, 2, 3 usable
        XCTAssertEqual(table.pair(foreground: -1, background: -1), .existing(0))
        XCTAssertEqual(table.pair(foreground: 1, background: -1), .new(1))
        XCTAssertEqual(table.pair(foreground: 1, background: -1), .existing(1))
        XCTAssertEqual(table.pair(foreground: 2, background: 0), .new(2))
        XCTAssertEqual(table.pair(foreground: 0, background: 2), .new(3))
        XCTAssertEqual(table.pair(foreground: 5, background: 5), .full)
        XCTAssertEqual(table.pair(foreground: 2, background: 0), .existing(2))
        table.removeAll()
        XCTAssertEqual(table.count, 0)
        XCTAssertEqual(table.pair(foreground: 5, background: 5), .new(1))
        table.markFailed(foreground: 5, background: 5)
        XCTAssertEqual(table.pair(foreground: 5, background: 5), .existing(0))
        XCTAssertEqual(table.pair(foreground: 6, background: 5), .new(2))
    }

    // MARK: Frame diff

    func testFrameDiff() {
        let blank = CellGrid(columns: 4, rows: 3)
        XCTAssertEqual(FramePlan.between(previous: nil, next: blank), .full)
        XCTAssertEqual(FramePlan.between(previous: blank, next: blank), .cells([]))
        XCTAssertEqual(FramePlan.between(previous: CellGrid(columns: 3, rows: 4), next: blank), .full)
        XCTAssertEqual(FramePlan.between(previous: CellGrid(columns: 4, rows: 2), next: blank), .full)

        var next = blank
        next[1, 0] = Cell(character: "x")
        next[3, 1] = Cell(character: " ", background: .rgb(0xFF0000))
        next[0, 2] = Cell(character: " ", style: .reverse)
        next[3, 2] = Cell(character: " ", foreground: .indexed(3))
        XCTAssertEqual(FramePlan.between(previous: blank, next: next), .cells([1, 7, 8, 11]))
        XCTAssertEqual(FramePlan.between(previous: next, next: blank), .cells([1, 7, 8, 11]))
    }

    func testCellTextKeepsOneColumnPerCell() {
        XCTAssertEqual(CellText.displayable("a"), wchar_t(0x61))
        XCTAssertEqual(CellText.displayable("~"), wchar_t(0x7E))
        XCTAssertEqual(CellText.displayable("\u{1B}"), wchar_t(0x20))  // no escape sequences
        XCTAssertEqual(CellText.displayable("\n"), wchar_t(0x20))
        XCTAssertEqual(CellText.displayable("\u{7F}"), wchar_t(0x20))
        XCTAssertEqual(CellText.displayable("\u{9B}"), wchar_t(0x20))  // C1 CSI
        XCTAssertEqual(CellText.displayable("\u{0301}"), wchar_t(0x3F))  // combining: no width
        XCTAssertEqual(CellText.displayable("漢"), wchar_t(0x3F))  // two columns (or none outside UTF-8)
    }

    // MARK: Refusing to start

    func testPreflightNamesWhatIsWrong() {
        func failure(_ term: String?, _ input: Bool, _ output: Bool) -> TerminalError? {
            do {
                try TerminalError.preflight(term: term, stdinIsTerminal: input, stdoutIsTerminal: output)
                return nil
            } catch {
                return error as? TerminalError
            }
        }
        XCTAssertNil(failure("xterm-256color", true, true))
        XCTAssertEqual(failure("xterm-256color", false, true), .notATerminal(stream: "input"))
        XCTAssertEqual(failure("xterm-256color", true, false), .notATerminal(stream: "output"))
        XCTAssertEqual(failure(nil, true, true), .terminalTypeUnset)
        XCTAssertEqual(failure("", true, true), .terminalTypeUnset)
        XCTAssertEqual(failure("dumb", true, true), .unsupportedTerminal("dumb"))
        let all: [TerminalError] = [.notATerminal(stream: "input"), .terminalTypeUnset, .unsupportedTerminal("dumb"),
                                    .cannotInitialize(term: "nope"), .noWakePipe, .alreadyActive]
        for error in all {
            let message = error.localizedDescription
            XCTAssertFalse(message.isEmpty)
            XCTAssertFalse(message.contains("\n"), message)
        }
        XCTAssertTrue(TerminalError.unsupportedTerminal("dumb").localizedDescription.contains("TERM=dumb"))
    }

    func testDriverRefusesDumbOrMissingTerminalWithoutTouchingIt() {
        let savedTerm = getenv("TERM").map { String(cString: $0) }
        defer {
            if let savedTerm { setenv("TERM", savedTerm, 1) } else { unsetenv("TERM") }
        }
        let ttyIn = isatty(STDIN_FILENO) == 1, ttyOut = isatty(STDOUT_FILENO) == 1
        let before = signalDisposition(SIGTERM)
        var modesBefore = termios()
        let haveModes = tcgetattr(STDIN_FILENO, &modesBefore) == 0

        for term in ["dumb", nil] as [String?] {
            if let term { setenv("TERM", term, 1) } else { unsetenv("TERM") }
            XCTAssertThrowsError(try TerminalDriver()) { error in
                guard let error = error as? TerminalError else { return XCTFail("untyped error \(error)") }
                if !ttyIn {
                    XCTAssertEqual(error, .notATerminal(stream: "input"))
                } else if !ttyOut {
                    XCTAssertEqual(error, .notATerminal(stream: "output"))
                } else {
                    XCTAssertEqual(error, term == nil ? .terminalTypeUnset : .unsupportedTerminal("dumb"))
                }
                XCTAssertFalse(error.localizedDescription.contains("\n"))
            }
        }
        // Nothing was hooked or changed.
        XCTAssertEqual(signalDisposition(SIGTERM), before)
        if haveModes {
            var modesAfter = termios()
            XCTAssertEqual(tcgetattr(STDIN_FILENO, &modesAfter), 0)
            XCTAssertEqual(modesAfter.c_lflag, modesBefore.c_lflag)
            XCTAssertEqual(modesAfter.c_iflag, modesBefore.c_iflag)
        }
    }

    // MARK: Signals and wake-ups

    func testSignalsSetFlagsAndWakeThePipe() throws {
        let pipe = try XCTUnwrap(SelfPipe.shared)
        pipe.drain()
        let before = signalDisposition(SIGHUP)
        TerminalSafety.snapshot(ttyFD: -1)
        TerminalSafety.arm(pipe: pipe, mouse: false)
        TerminalSafety.disarm()  // no curses here: the atexit hook must not call endwin
        defer {
            TerminalSafety.uninstall()
            TerminalSafety.clearTerminate()
        }
        XCTAssertNil(TerminalSafety.terminateSignal)
        XCTAssertFalse(isReadable(pipe.readFD))

        raise(SIGWINCH)
        XCTAssertTrue(isReadable(pipe.readFD))
        XCTAssertTrue(TerminalSafety.takeResized())
        XCTAssertFalse(TerminalSafety.takeResized())
        pipe.drain()

        raise(SIGHUP)
        XCTAssertEqual(TerminalSafety.terminateSignal, SIGHUP)
        XCTAssertTrue(isReadable(pipe.readFD))
        pipe.drain()
        XCTAssertFalse(isReadable(pipe.readFD))

        TerminalSafety.uninstall()
        XCTAssertEqual(signalDisposition(SIGHUP), before)
    }

    func testWakerWakesFromAnotherThread() throws {
        let pipe = try XCTUnwrap(SelfPipe.shared)
        pipe.drain()
        let waker = TerminalWaker(pipe: pipe)
        let thread = Thread { waker.wake() }
        thread.start()
        var fds = [pollfd(fd: pipe.readFD, events: Int16(POLLIN), revents: 0)]
        XCTAssertEqual(poll(&fds, 1, 5000), 1)
        pipe.drain()
        // A flood of wakes never blocks the waker (the pipe is non-blocking).
        for _ in 0..<100_000 { waker.wake() }
        pipe.drain()
        XCTAssertFalse(isReadable(pipe.readFD))
    }

    private func isReadable(_ fd: Int32) -> Bool {
        var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
        return poll(&fds, 1, 0) == 1
    }

    /// The handler address installed for a signal (0: default).
    private func signalDisposition(_ signal: Int32) -> Int {
        var action = sigaction()
        sigaction(signal, nil, &action)
        return unsafeBitCast(action.__sigaction_handler.sa_handler, to: Int.self)
    }
}
