// OpenBLAS's CBLAS interface (Debian: libopenblas-dev, pthread build), and the LAPACK
// routines hashscope uses, which libopenblas exports with Fortran linkage but Debian ships
// no C header for (lapacke.h is in a separate package).
#ifndef HASHSCOPE_COPENBLAS_SHIM_H
#define HASHSCOPE_COPENBLAS_SHIM_H
#include <cblas.h>

// Symmetric eigen-decomposition: eigenvalues ascending in w, eigenvectors in a (column-major).
void ssyev_(const char *jobz, const char *uplo, const int *n, float *a, const int *lda,
            float *w, float *work, const int *lwork, int *info);
// Singular value decomposition A = U S V^T (column-major).
void sgesvd_(const char *jobu, const char *jobvt, const int *m, const int *n, float *a,
             const int *lda, float *s, float *u, const int *ldu, float *vt, const int *ldvt,
             float *work, const int *lwork, int *info);
#endif
