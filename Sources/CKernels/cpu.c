// What the CPU supports (CPUID and the OS's saved register state) and which kernel
// OpenBLAS chose, so the host's best BLAS kernel can be asked for (see BLASKernel.swift).
#include "CKernels.h"

char *openblas_get_corename(void);
char *openblas_get_config(void);

const char *ck_blas_corename(void) { return openblas_get_corename(); }
const char *ck_blas_config(void) { return openblas_get_config(); }

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static unsigned long long xgetbv0(void) {
    unsigned int lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

unsigned ck_cpu_features(void) {
    unsigned a, b, c, d, out = 0;
    if (!__get_cpuid(0, &a, &b, &c, &d)) return 0;
    unsigned max_leaf = a;
    if (b == 0x68747541 /* "Auth" */) out |= CK_CPU_AMD;
    if (b == 0x756e6547 /* "Genu" */) out |= CK_CPU_INTEL;
    __get_cpuid(1, &a, &b, &c, &d);
    int osxsave = (c >> 27) & 1;
    unsigned long long xcr0 = osxsave ? xgetbv0() : 0;
    int ymm = (xcr0 & 0x6) == 0x6, zmm = ymm && (xcr0 & 0xe0) == 0xe0;
    if (ymm && ((c >> 12) & 1)) out |= CK_CPU_FMA;
    if (max_leaf < 7) return out;
    __cpuid_count(7, 0, a, b, c, d);
    if (ymm && ((b >> 5) & 1)) out |= CK_CPU_AVX2;
    if (zmm && ((b >> 16) & 1)) out |= CK_CPU_AVX512F;
    if (zmm && ((b >> 17) & 1)) out |= CK_CPU_AVX512DQ;
    if (zmm && ((b >> 30) & 1)) out |= CK_CPU_AVX512BW;
    if (zmm && ((b >> 31) & 1)) out |= CK_CPU_AVX512VL;
    __cpuid_count(7, 1, a, b, c, d);
    if (zmm && ((a >> 5) & 1)) out |= CK_CPU_AVX512BF16;
    return out;
}
#else
unsigned ck_cpu_features(void) { return 0; }
#endif
