// What the running CPU can do, for kernels chosen at run time.
#ifndef HASHSCOPE_CPU_FEATURES_H
#define HASHSCOPE_CPU_FEATURES_H

// 1 when the CPU has AVX-512 F/BW/VL and VPOPCNTDQ (Ice Lake server, Zen 4 and later):
// the Hamming kernels of HammingKernelsAVX512 may run.
int hs_cpu_has_avx512_popcount(void);

// 1 when the CPU has AVX2 and FMA (Haswell, Zen and later): the Winograd transforms of
// WinogradKernelsAVX2 may run.
int hs_cpu_has_avx2_fma(void);

#endif
