// ncursesw with its wide-character API. SwiftPM drops pkg-config -D flags, so the
// wide API (cchar_t, mvadd_wch, setcchar) must be switched on here (PLATFORM.md, 1).
#ifndef HASHSCOPE_CNCURSESW_SHIM_H
#define HASHSCOPE_CNCURSESW_SHIM_H
#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <ncursesw/ncurses.h>
#endif
