// zlib: gzip-compressed IDX files (Fashion-MNIST ships them gzipped).
#ifndef HASHSCOPE_CZLIB_SHIM_H
#define HASHSCOPE_CZLIB_SHIM_H
#include <zlib.h>
#endif
