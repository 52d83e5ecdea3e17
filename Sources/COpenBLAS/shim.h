// OpenBLAS's CBLAS interface (Debian: libopenblas-dev, pthread build).
#ifndef HASHSCOPE_COPENBLAS_SHIM_H
#define HASHSCOPE_COPENBLAS_SHIM_H
#include <cblas.h>
#endif
