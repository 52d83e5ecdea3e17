// ncursesw with its wide-character API. SwiftPM drops pkg-config -D flags, so the
// wide API (cchar_t, mvadd_wch, setcchar) must be switched on here (docs/ARCHITECTURE.md, Platform notes 1).
#ifndef HASHSCOPE_CNCURSESW_SHIM_H
#define HASHSCOPE_CNCURSESW_SHIM_H
#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>
#include <ncursesw/ncurses.h>
#include <ncursesw/term.h>

// ---------------------------------------------------------------------------------------------
// Accessors for C globals and function-like macros, which Swift 6 either rejects as not
// concurrency-safe or does not import at all (docs/ARCHITECTURE.md, Platform notes 2 and 4). Stateless: any file may
// call them.

static inline WINDOW *hs_stdscr(void) { return stdscr; }
static inline WINDOW *hs_curscr(void) { return curscr; }
static inline int hs_lines(void) { return LINES; }
static inline int hs_cols(void) { return COLS; }
static inline int hs_colors(void) { return COLORS; }
static inline int hs_color_pairs(void) { return COLOR_PAIRS; }
static inline FILE *hs_stdout(void) { return stdout; }
static inline FILE *hs_stdin(void) { return stdin; }

static inline attr_t hs_attr_normal(void) { return A_NORMAL; }
static inline attr_t hs_attr_bold(void) { return A_BOLD; }
static inline attr_t hs_attr_reverse(void) { return A_REVERSE; }
static inline attr_t hs_attr_underline(void) { return A_UNDERLINE; }
static inline attr_t hs_attr_dim(void) { return A_DIM; }

static inline int hs_key_f(int n) { return KEY_F(n); }

static inline mmask_t hs_button1_pressed(void) { return BUTTON1_PRESSED; }
static inline mmask_t hs_button1_clicked(void) { return BUTTON1_CLICKED; }

/// One mouse event: 0 and the cell and button state, or ERR when none is queued.
static inline int hs_getmouse(int *x, int *y, mmask_t *bstate) {
    MEVENT event;
    if (getmouse(&event) != OK) return ERR;
    *x = event.x;
    *y = event.y;
    *bstate = event.bstate;
    return OK;
}

/// Puts one cell on stdscr. The pair goes through setcchar's opts pointer, the only way to
/// reach pairs above 255 (docs/ARCHITECTURE.md, Platform notes 4). At the bottom-right cell mvwadd_wch stores the
/// character and then returns ERR because the cursor cannot advance (scrollok is off): harmless.
static inline int hs_put_cell(int y, int x, wchar_t ch, attr_t attrs, int pair) {
    cchar_t cell;
    wchar_t text[2] = {ch, 0};
    if (setcchar(&cell, text, attrs, 0, &pair) == ERR) return ERR;
    return mvwadd_wch(stdscr, y, x, &cell);
}

/// The terminal's size from the kernel (TIOCGWINSZ; ioctl is variadic). 0, or -1.
static inline int hs_terminal_size(int fd, int *rows, int *cols) {
    struct winsize size;
    if (ioctl(fd, TIOCGWINSZ, &size) != 0 || size.ws_row == 0 || size.ws_col == 0) return -1;
    *rows = size.ws_row;
    *cols = size.ws_col;
    return 0;
}

/// wcwidth under the current locale: 1 for a character that takes exactly one cell.
static inline int hs_wcwidth(wchar_t ch) { return wcwidth(ch); }

/// A close-on-exec, non-blocking pipe: fds[0] to read, fds[1] to write. 0 or -1 (errno set).
static inline int hs_make_pipe(int fds[2]) {
    if (pipe(fds) != 0) return -1;
    for (int i = 0; i < 2; i++) {
        fcntl(fds[i], F_SETFD, FD_CLOEXEC);
        fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
    }
    return 0;
}

#include "terminal_safety.h"

#endif
