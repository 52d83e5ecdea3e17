// Terminal safety for the TUI's ncurses driver: signal handlers, stderr capture and the
// emergency restore. Included by shim.h (after ncurses.h and the system headers it needs).
#ifndef HASHSCOPE_TERMINAL_SAFETY_H
#define HASHSCOPE_TERMINAL_SAFETY_H

// ---------------------------------------------------------------------------------------------
// Terminal safety: signal handlers, stderr capture and the emergency restore.
//
// Everything below keeps its state in a function-local static. A static inline function is
// compiled into every Swift object file that calls it, each with its own copy of that static,
// so these hs_safety_* functions must be called from ONE Swift file only
// (Sources/TUI/Terminal/TerminalSafety.swift, through @inline(never) wrappers). The handlers
// use only async-signal-safe calls (write, read, tcsetattr, sigaction, raise, dup2, ...).

typedef struct {
    volatile sig_atomic_t terminate_signal; // first SIGTERM/SIGHUP/SIGINT seen, 0 if none
    volatile sig_atomic_t resized;          // SIGWINCH seen since the last take
    volatile sig_atomic_t armed;            // 1 while curses owns the terminal
    volatile sig_atomic_t installed;
    int wake_fd;                            // write end of the self-pipe
    int tty_fd;
    int have_saved;
    struct termios saved;                   // the terminal before curses changed it
    int stderr_saved;                       // the real stderr while it is captured, else -1
    int stderr_capture;                     // unlinked temp file holding stderr meanwhile
    char reset[512];                        // bytes that undo curses' screen modes
    int reset_length;
    struct sigaction original[NSIG];        // SIGTERM/SIGHUP/SIGINT before newterm hooked them
    struct sigaction previous[NSIG];        // what hs_safety_arm replaced
} hs_safety_state;

static inline hs_safety_state *hs_safety(void) {
    static hs_safety_state state = {.wake_fd = -1, .tty_fd = -1, .stderr_saved = -1, .stderr_capture = -1};
    return &state;
}

static inline const int *hs_safety_signals(int *count) {
    // Not SIGTRAP (returning from a breakpoint trap would run on past it) and not SIGQUIT
    // (Swift's backtracer prints a backtrace for it and lets the program go on).
    static const int signals[] = {SIGTERM, SIGHUP, SIGINT, SIGWINCH,
                                  SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
    *count = (int)(sizeof signals / sizeof signals[0]);
    return signals;
}

static inline void hs_safety_poke(hs_safety_state *s) {
    if (s->wake_fd >= 0) {
        ssize_t ignored = write(s->wake_fd, "s", 1); // "s": a signal; a full pipe still wakes
        (void)ignored;
    }
}

/// Puts the real stderr back and replays (the last 64 KiB of) what was written meanwhile, so a
/// message such as Swift's "Fatal error: ..." is not lost with the alternate screen.
/// Async-signal-safe (dup2, fstat, lseek, read, write, close).
static inline void hs_safety_release_stderr(void) {
    hs_safety_state *s = hs_safety();
    int saved = s->stderr_saved, capture = s->stderr_capture;
    if (saved < 0) return;
    s->stderr_saved = -1;
    s->stderr_capture = -1;
    dup2(saved, STDERR_FILENO);
    close(saved);
    struct stat info;
    if (fstat(capture, &info) == 0) {
        off_t start = info.st_size > 65536 ? info.st_size - 65536 : 0;
        if (lseek(capture, start, SEEK_SET) == start) {
            char buffer[4096];
            ssize_t count;
            while ((count = read(capture, buffer, sizeof buffer)) > 0) {
                ssize_t ignored = write(STDERR_FILENO, buffer, (size_t)count);
                (void)ignored;
            }
        }
    }
    close(capture);
}

/// While curses owns the screen, anything written to stderr (a library warning, a fatal error
/// message) would land in the middle of the UI: send it to an unlinked temp file instead.
/// Only when stderr is the terminal; a redirected stderr is left alone.
static inline void hs_safety_capture_stderr(void) {
    hs_safety_state *s = hs_safety();
    if (s->stderr_saved >= 0 || !isatty(STDERR_FILENO)) return;
    const char *folder = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/hashscope-stderr-XXXXXX", folder && *folder ? folder : "/tmp");
    int capture = mkstemp(path);
    if (capture < 0) return;
    unlink(path);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    if (saved < 0 || dup2(capture, STDERR_FILENO) < 0) {
        if (saved >= 0) close(saved);
        close(capture);
        return;
    }
    fcntl(saved, F_SETFD, FD_CLOEXEC);
    fcntl(capture, F_SETFD, FD_CLOEXEC);
    s->stderr_saved = saved;
    s->stderr_capture = capture;
}

/// Undo curses with async-signal-safe calls only: the saved reset bytes, then the saved termios.
static inline void hs_safety_emergency_restore(void) {
    hs_safety_state *s = hs_safety();
    if (!s->armed) return;
    s->armed = 0;
    if (s->reset_length > 0) {
        ssize_t ignored = write(s->tty_fd, s->reset, (size_t)s->reset_length);
        (void)ignored;
    }
    if (s->have_saved) tcsetattr(s->tty_fd, TCSADRAIN, &s->saved);
    hs_safety_release_stderr();
}

static inline void hs_safety_on_terminate(int sig) {
    int saved_errno = errno;
    hs_safety_state *s = hs_safety();
    if (s->terminate_signal != 0) {
        // A second request: the application never got back to its event loop. Restore the
        // terminal here and die by the signal, as the sender asked.
        hs_safety_emergency_restore();
        struct sigaction fallback;
        memset(&fallback, 0, sizeof fallback);
        fallback.sa_handler = SIG_DFL;
        sigaction(sig, &fallback, NULL);
        raise(sig);
    } else {
        s->terminate_signal = sig;
        hs_safety_poke(s);
    }
    errno = saved_errno;
}

static inline void hs_safety_on_winch(int sig, siginfo_t *info, void *context) {
    int saved_errno = errno;
    hs_safety_state *s = hs_safety();
    s->resized = 1;
    // ncurses' own SIGWINCH handler (installed by newterm) marks the screen for resizing; keep
    // it running so the next wget_wch reports KEY_RESIZE.
    struct sigaction *old = &s->previous[sig];
    if (old->sa_flags & SA_SIGINFO) {
        if (old->sa_sigaction) old->sa_sigaction(sig, info, context);
    } else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN && old->sa_handler) {
        old->sa_handler(sig);
    }
    hs_safety_poke(s);
    errno = saved_errno;
}

static inline void hs_safety_on_fatal(int sig, siginfo_t *info, void *context) {
    (void)context;
    hs_safety_state *s = hs_safety();
    hs_safety_emergency_restore();
    // Hand the signal back to whoever had it before (Swift's backtracer or the default). A real
    // fault re-executes the faulting instruction on return and reaches it with the true
    // context. A sent signal (abort, kill) is raised again here (SA_NODEFER: delivered at
    // once); the backtracer returns from such a signal, so then die by the default action.
    sigaction(sig, &s->previous[sig], NULL);
    if (info == NULL || info->si_code <= 0) {
        raise(sig);
        struct sigaction fallback;
        memset(&fallback, 0, sizeof fallback);
        fallback.sa_handler = SIG_DFL;
        sigaction(sig, &fallback, NULL);
        raise(sig);
    }
}

static inline void hs_safety_atexit(void) {
    hs_safety_state *s = hs_safety();
    if (s->armed) {
        s->armed = 0;
        endwin();
        hs_safety_release_stderr();
    }
}

/// Call before newterm: remembers the terminal's modes and the terminating signals'
/// dispositions before curses touches them (newterm hooks SIGINT/SIGTERM with a handler that
/// calls exit). 0, or -1 when fd is no tty.
static inline int hs_safety_snapshot(int tty_fd) {
    hs_safety_state *s = hs_safety();
    s->tty_fd = tty_fd;
    if (!s->installed) {
        sigaction(SIGTERM, NULL, &s->original[SIGTERM]);
        sigaction(SIGHUP, NULL, &s->original[SIGHUP]);
        sigaction(SIGINT, NULL, &s->original[SIGINT]);
    }
    s->have_saved = tcgetattr(tty_fd, &s->saved) == 0;
    return s->have_saved ? 0 : -1;
}

static inline void hs_safety_append(hs_safety_state *s, const char *bytes) {
    if (bytes == NULL || bytes == (const char *)-1) return; // absent or not a string capability
    size_t length = strlen(bytes);
    if ((size_t)s->reset_length + length >= sizeof s->reset) return;
    memcpy(s->reset + s->reset_length, bytes, length);
    s->reset_length += (int)length;
}

/// Call after newterm: collects the reset bytes from terminfo, registers the atexit hook once,
/// installs the handlers (saving the previous ones), captures stderr and marks curses active.
static inline void hs_safety_arm(int wake_fd, int with_mouse) {
    hs_safety_state *s = hs_safety();
    static int atexit_registered = 0;
    s->reset_length = 0;
    hs_safety_append(s, "\030"); // CAN: cancels an escape sequence curses was cut off in
    if (with_mouse) hs_safety_append(s, "\033[?1006l\033[?1003l\033[?1002l\033[?1000l");
    hs_safety_append(s, tigetstr("sgr0"));
    hs_safety_append(s, tigetstr("cnorm"));
    hs_safety_append(s, tigetstr("rmkx"));
    hs_safety_append(s, tigetstr("rmcup"));
    s->wake_fd = wake_fd;
    s->terminate_signal = 0;
    s->resized = 0;
    if (!atexit_registered) atexit_registered = atexit(hs_safety_atexit) == 0;
    if (!s->installed) {
        int count = 0;
        const int *signals = hs_safety_signals(&count);
        for (int i = 0; i < count; i++) {
            int sig = signals[i];
            struct sigaction action;
            memset(&action, 0, sizeof action);
            sigemptyset(&action.sa_mask);
            if (sig == SIGTERM || sig == SIGHUP || sig == SIGINT) {
                action.sa_handler = hs_safety_on_terminate;
                action.sa_flags = SA_RESTART; // other threads' reads and writes go on
            } else if (sig == SIGWINCH) {
                action.sa_sigaction = hs_safety_on_winch;
                action.sa_flags = SA_RESTART | SA_SIGINFO;
            } else {
                action.sa_sigaction = hs_safety_on_fatal;
                action.sa_flags = SA_SIGINFO | SA_NODEFER | SA_RESETHAND;
            }
            sigaction(sig, &action, &s->previous[sig]);
        }
        s->installed = 1;
    }
    hs_safety_capture_stderr();
    s->armed = 1;
}

/// Curses is about to be (or has been) ended the normal way: no emergency restore any more.
static inline void hs_safety_disarm(void) { hs_safety()->armed = 0; }

/// Puts back the signal dispositions: the terminating ones as they were before newterm, the
/// others (ncurses' SIGWINCH handler, which it installs only once per process) as hs_safety_arm
/// found them.
static inline void hs_safety_uninstall(void) {
    hs_safety_state *s = hs_safety();
    if (!s->installed) return;
    int count = 0;
    const int *signals = hs_safety_signals(&count);
    for (int i = 0; i < count; i++) {
        int sig = signals[i];
        int terminating = sig == SIGTERM || sig == SIGHUP || sig == SIGINT;
        sigaction(sig, terminating ? &s->original[sig] : &s->previous[sig], NULL);
    }
    s->installed = 0;
}

/// The first terminating signal received since arming (0 if none). Not cleared: once asked to
/// terminate, the answer stays yes.
static inline int hs_safety_terminate_signal(void) { return hs_safety()->terminate_signal; }

/// 1 when a SIGWINCH arrived since the last call, and clears it.
static inline int hs_safety_take_resized(void) {
    hs_safety_state *s = hs_safety();
    int resized = s->resized;
    s->resized = 0;
    return resized;
}

/// Test hook: forget a recorded terminate signal.
static inline void hs_safety_clear_terminate(void) { hs_safety()->terminate_signal = 0; }

#endif
