import CNcursesw
import Glibc

extension TerminalDriver {
    /// Waits up to `milliseconds` (negative: indefinitely, 0: just look) for the next event:
    /// a key, a left click, a resize, or a termination request. Returns nil on timeout or when
    /// woken by `wake()`.
    ///
    /// `.terminate` (SIGTERM, SIGHUP, SIGINT, or the terminal going away) is returned after
    /// the terminal has already been restored: the application should save what it must and
    /// exit. `.resize` means the next `draw` is a full redraw; draw a frame of the new size.
    public func nextEvent(timeout milliseconds: Int) -> TerminalEvent? {
        guard isActive else {
            if terminated { return .terminate }
            waitForWake(milliseconds)
            return nil
        }
        assertOwnerThread()
        if let event = terminationEvent() { return event }
        if !pendingEvents.isEmpty { return pendingEvents.removeFirst() }

        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(max(0, milliseconds))
        var idleReadable = 0
        while true {
            // ncurses may already hold decoded input read ahead with an escape sequence; poll()
            // would not see it on the descriptor.
            if let event = readInput() { return event }
            let remaining = milliseconds < 0 ? -1 : Self.milliseconds(until: deadline, clock: clock)
            if milliseconds >= 0 && remaining <= 0 { return nil }

            var fds = [pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: pipe.readFD, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, 2, Int32(clamping: remaining))
            if ready < 0 {
                if errno == EINTR { continue }  // a signal, usually SIGWINCH: look again
                return nil
            }
            if ready == 0 { return readInput() }
            if fds[1].revents != 0 {
                let woken = pipe.drain()
                if let event = terminationEvent() { return event }
                if TerminalSafety.takeResized(), let event = readInput() ?? resizeByHand() { return event }
                if let event = readInput() { return event }
                if woken { return nil }
                continue  // only a signal already dealt with (a SIGWINCH ncurses reported): wait on
            }
            let input = fds[0].revents
            if input & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 { return terminalGone() }
            if let event = readInput() { return event }
            // Readable yet nothing decodes, again and again: the tty has closed under us.
            idleReadable += 1
            if idleReadable > 1000 { return terminalGone() }
        }
    }

    /// Drains ncurses' input until something the application handles. nil when none is left.
    func readInput() -> TerminalEvent? {
        while true {
            var code: wint_t = 0
            let status = wget_wch(hs_stdscr(), &code)
            if status == ERR { return nil }
            switch KeyDecoder.decode(code: code, isFunctionKey: status == KEY_CODE_YES) {
            case .key(let key): return .key(key)
            case .resize: return coalescedResize()
            case .mouse: if let click = readClick() { return click }
            case .ignored: continue
            }
        }
    }

    /// One `.resize` for a burst of KEY_RESIZEs; input read past the burst waits in the queue.
    private func coalescedResize() -> TerminalEvent {
        needsFullRedraw = true
        _ = TerminalSafety.takeResized()  // ncurses has handled the SIGWINCH behind this
        while true {
            var code: wint_t = 0
            let status = wget_wch(hs_stdscr(), &code)
            if status == ERR { break }
            let decoded = KeyDecoder.decode(code: code, isFunctionKey: status == KEY_CODE_YES)
            if decoded == .resize { continue }
            if case .key(let key) = decoded { pendingEvents.append(.key(key)); break }
            if decoded == .mouse, let click = readClick() { pendingEvents.append(click); break }
        }
        return .resize(columns: Int(hs_cols()), rows: Int(hs_lines()))
    }

    /// The clicks behind one KEY_MOUSE. A burst of mouse reports can come out of ncurses as a
    /// single KEY_MOUSE with several queued events (getmouse hands back the newest first), so
    /// take them all and return the oldest; the rest wait in order.
    private func readClick() -> TerminalEvent? {
        var clicks: [TerminalEvent] = []
        var x: Int32 = 0, y: Int32 = 0
        var buttons: mmask_t = 0
        while clicks.count < 64, hs_getmouse(&x, &y, &buttons) == OK {
            // Releases come through too; presses outside the screen are stale (a resize raced).
            guard buttons & clickMask != 0, x >= 0, y >= 0, x < hs_cols(), y < hs_lines() else { continue }
            clicks.append(.click(column: Int(x), row: Int(y)))
        }
        guard let oldest = clicks.popLast() else { return nil }
        pendingEvents.append(contentsOf: clicks.reversed())
        return oldest
    }

    /// SIGWINCH came but ncurses did not report KEY_RESIZE (its own handler is not in the
    /// chain): resize its screen to the kernel's size ourselves. nil when the size is unchanged.
    private func resizeByHand() -> TerminalEvent? {
        var height: Int32 = 0, width: Int32 = 0
        guard hs_terminal_size(STDOUT_FILENO, &height, &width) == 0,
              height != hs_lines() || width != hs_cols() else { return nil }
        resizeterm(height, width)  // queues KEY_RESIZE
        if let event = readInput() { return event }
        needsFullRedraw = true
        return .resize(columns: Int(hs_cols()), rows: Int(hs_lines()))
    }

    private func terminationEvent() -> TerminalEvent? {
        guard TerminalSafety.terminateSignal != nil else { return nil }
        return terminalGone()
    }

    private func terminalGone() -> TerminalEvent {
        terminated = true
        restore()
        return .terminate
    }

    /// After restore: honour the timeout and wakes without touching the terminal.
    private func waitForWake(_ milliseconds: Int) {
        var fds = [pollfd(fd: pipe.readFD, events: Int16(POLLIN), revents: 0)]
        if poll(&fds, 1, Int32(clamping: milliseconds < 0 ? -1 : milliseconds)) > 0 { pipe.drain() }
    }

    private static func milliseconds(until deadline: ContinuousClock.Instant, clock: ContinuousClock) -> Int {
        let left = clock.now.duration(to: deadline).components
        let milliseconds = Double(left.seconds) * 1000 + Double(left.attoseconds) / 1e15
        return milliseconds > 0 ? Int(milliseconds.rounded(.up)) : 0
    }
}
