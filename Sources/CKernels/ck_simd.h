// Private: the vector-width abstraction of the kernels written once for every level.
//
// CK_VW floats per vector, chosen by the flags this translation unit is compiled with
// (see ck_levels.h): 16 with AVX-512 (zmm), 8 with AVX2 (ymm), 4 otherwise (SSE2 on
// x86-64, NEON on aarch64). Hand-written 8-wide AVX2 code is used only when CK_VW == 8. ck_vf is a clang/GCC vector-extension type, so +, -, * work
// on it directly, and with -ffp-contract=fast a*b+c becomes one FMA where the ISA has it.
#ifndef CK_SIMD_H
#define CK_SIMD_H

#if defined(CK_TEST_VW)   // tools/check-avx512-logic.sh: 16-wide code on AVX2 instructions
#define CK_VW CK_TEST_VW
#elif defined(__AVX512F__)
#define CK_VW 16
#elif defined(__AVX2__)
#define CK_VW 8
#else
#define CK_VW 4
#endif

typedef float ck_vf __attribute__((vector_size(CK_VW * sizeof(float))));

#if defined(__AVX2__)
#include <immintrin.h>
#endif

static inline ck_vf vf_load(const float *p) { ck_vf v; __builtin_memcpy(&v, p, sizeof v); return v; }
static inline void vf_store(float *p, ck_vf v) { __builtin_memcpy(p, &v, sizeof v); }
static inline ck_vf vf_zero(void) { return (ck_vf){0}; }
static inline ck_vf vf_set1(float s) { return (ck_vf){0} + s; }
#define vf_add(a, b) ((a) + (b))
#define vf_sub(a, b) ((a) - (b))
#define vf_mul(a, b) ((a) * (b))
/// a * b + c (one FMA instruction where the level has FMA).
#define vf_fma(a, b, c) ((a) * (b) + (c))
/// The first n (<= CK_VW) floats at p, zeros in the other lanes.
static inline ck_vf vf_load_n(const float *p, int n) {
    if (n == CK_VW) return vf_load(p);
    float tmp[CK_VW] = {0};
    for (int l = 0; l < n; l++) tmp[l] = p[l];
    return vf_load(tmp);
}
/// p[0], p[stride], ..., p[(CK_VW - 1) stride] (stride * CK_VW < 2^31): one gather
/// instruction where the level has it.
static inline ck_vf vf_gather(const float *p, long stride) {
#if defined(__AVX512F__) && CK_VW == 16
    const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    return (ck_vf)_mm512_i32gather_ps(_mm512_mullo_epi32(lanes, _mm512_set1_epi32((int)stride)), p, 4);
#elif defined(__AVX2__) && CK_VW == 8
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return (ck_vf)_mm256_i32gather_ps(p, _mm256_mullo_epi32(lanes, _mm256_set1_epi32((int)stride)), 4);
#else
    float tmp[CK_VW];
    for (int l = 0; l < CK_VW; l++) tmp[l] = p[(long)l * stride];
    return vf_load(tmp);
#endif
}
/// Stores the first n (<= CK_VW) lanes of v.
static inline void vf_store_n(float *p, ck_vf v, int n) {
    if (n == CK_VW) {
        vf_store(p, v);
    } else {
        float tmp[CK_VW];
        vf_store(tmp, v);
        for (int l = 0; l < n; l++) p[l] = tmp[l];
    }
}

// Lane permutations: evens / odds of the 2*CK_VW lanes of (a, b); and interleaving the
// low / high halves of a and b (a0 b0 a1 b1 ...).
#if CK_VW == 16
#define CK_EVEN 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30
#define CK_ODD 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31
#define CK_ZIPLO 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23
#define CK_ZIPHI 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31
#elif CK_VW == 8
#define CK_EVEN 0, 2, 4, 6, 8, 10, 12, 14
#define CK_ODD 1, 3, 5, 7, 9, 11, 13, 15
#define CK_ZIPLO 0, 8, 1, 9, 2, 10, 3, 11
#define CK_ZIPHI 4, 12, 5, 13, 6, 14, 7, 15
#else
#define CK_EVEN 0, 2, 4, 6
#define CK_ODD 1, 3, 5, 7
#define CK_ZIPLO 0, 4, 1, 5
#define CK_ZIPHI 2, 6, 3, 7
#endif
#define vf_even(a, b) __builtin_shufflevector((a), (b), CK_EVEN)
#define vf_odd(a, b) __builtin_shufflevector((a), (b), CK_ODD)
#define vf_ziplo(a, b) __builtin_shufflevector((a), (b), CK_ZIPLO)
#define vf_ziphi(a, b) __builtin_shufflevector((a), (b), CK_ZIPHI)

#endif
