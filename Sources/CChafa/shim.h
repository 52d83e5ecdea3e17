// libchafa 1.12 (+ glib, which chafa.h includes; libchafa-dev does not pull libglib2.0-dev).
#ifndef HASHSCOPE_CCHAFA_SHIM_H
#define HASHSCOPE_CCHAFA_SHIM_H
#include <chafa.h>
#endif
