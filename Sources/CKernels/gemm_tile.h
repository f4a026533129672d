// Private: the register-tiled GEMM micro-kernel of the kernels that multiply small matrices
// themselves instead of calling OpenBLAS (whose packing of both operands costs more than the
// arithmetic at these sizes): the small-N conv path (conv_small_gemm.c) and the Winograd
// products (winograd.c). One tile is SG_MR rows x SG_NR (two vectors) columns
// of C: 6x16 with AVX2 (hand-written), 6x32 with AVX-512, 6x8 portable (ck_simd.h).
#ifndef CK_GEMM_TILE_H
#define CK_GEMM_TILE_H

#include "conv_paths.h"
#include "ck_simd.h"

#define SG_NR (2 * CK_VW)

#ifndef GEMM_STRIDED_L2_FLOATS
#define GEMM_STRIDED_L2_FLOATS 65536   // floats of B per column block of gemm_strided (256 KiB, in L2)
#endif

// c[rows, SG_NR] (+)= a[rows, kc] * b[kc, SG_NR]: a row-major with stride lda, read in
// place; b's rows ldb apart; c's rows ldc apart. `accumulate` adds to c instead of
// overwriting it. rows is a constant where this is inlined, so acc stays in registers.
static inline __attribute__((always_inline)) void gemm_tile_rows(const int rows, const float *a, size_t lda,
                                                                  const float *b, size_t ldb, long kc, float *c,
                                                                  size_t ldc, long accumulate) {
    ck_vf acc[SG_MR][2];
    for (int i = 0; i < rows; i++) {
        acc[i][0] = accumulate ? vf_load(c + i * ldc) : vf_zero();
        acc[i][1] = accumulate ? vf_load(c + i * ldc + CK_VW) : vf_zero();
    }
    for (long k = 0; k < kc; k++) {
        const ck_vf b0 = vf_load(b + k * ldb), b1 = vf_load(b + k * ldb + CK_VW);
        for (int i = 0; i < rows; i++) {
            const ck_vf ai = vf_set1(a[i * lda + k]);
            acc[i][0] = vf_fma(ai, b0, acc[i][0]);
            acc[i][1] = vf_fma(ai, b1, acc[i][1]);
        }
    }
    for (int i = 0; i < rows; i++) {
        vf_store(c + i * ldc, acc[i][0]);
        vf_store(c + i * ldc + CK_VW, acc[i][1]);
    }
}

// The full SG_MR x SG_NR tile (AVX2: hand-scheduled, 12 accumulators in ymm0-11).
static inline void gemm_tile(const float *a, size_t lda, const float *b, size_t ldb, long kc,
                                   float *c, size_t ldc, long accumulate) {
#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__) && CK_VW == 8
    const float *a3 = a + 3 * lda;
    const long lda4 = (long)lda * 4, ldb4 = (long)ldb * 4;
    float *c3 = c + 3 * ldc;
    const long ldc4 = (long)ldc * 4;
    __asm__ volatile(
        "test %[acc], %[acc]\n\t"
        "jz 3f\n\t"
        "vmovups (%[c]), %%ymm0\n\t"
        "vmovups 32(%[c]), %%ymm1\n\t"
        "vmovups (%[c],%[ldc4],1), %%ymm2\n\t"
        "vmovups 32(%[c],%[ldc4],1), %%ymm3\n\t"
        "vmovups (%[c],%[ldc4],2), %%ymm4\n\t"
        "vmovups 32(%[c],%[ldc4],2), %%ymm5\n\t"
        "vmovups (%[c3]), %%ymm6\n\t"
        "vmovups 32(%[c3]), %%ymm7\n\t"
        "vmovups (%[c3],%[ldc4],1), %%ymm8\n\t"
        "vmovups 32(%[c3],%[ldc4],1), %%ymm9\n\t"
        "vmovups (%[c3],%[ldc4],2), %%ymm10\n\t"
        "vmovups 32(%[c3],%[ldc4],2), %%ymm11\n\t"
        "jmp 4f\n"
        "3:\n\t"
        "vxorps %%ymm0, %%ymm0, %%ymm0\n\t"
        "vxorps %%ymm1, %%ymm1, %%ymm1\n\t"
        "vxorps %%ymm2, %%ymm2, %%ymm2\n\t"
        "vxorps %%ymm3, %%ymm3, %%ymm3\n\t"
        "vxorps %%ymm4, %%ymm4, %%ymm4\n\t"
        "vxorps %%ymm5, %%ymm5, %%ymm5\n\t"
        "vxorps %%ymm6, %%ymm6, %%ymm6\n\t"
        "vxorps %%ymm7, %%ymm7, %%ymm7\n\t"
        "vxorps %%ymm8, %%ymm8, %%ymm8\n\t"
        "vxorps %%ymm9, %%ymm9, %%ymm9\n\t"
        "vxorps %%ymm10, %%ymm10, %%ymm10\n\t"
        "vxorps %%ymm11, %%ymm11, %%ymm11\n"
        "4:\n\t"
        "test %[n], %[n]\n\t"
        "jle 2f\n\t"
        ".p2align 4\n"
        "1:\n\t"
        "vmovups (%[b]), %%ymm12\n\t"
        "vmovups 32(%[b]), %%ymm13\n\t"
        "vbroadcastss (%[a0]), %%ymm14\n\t"
        "vfmadd231ps %%ymm12, %%ymm14, %%ymm0\n\t"
        "vfmadd231ps %%ymm13, %%ymm14, %%ymm1\n\t"
        "vbroadcastss (%[a0],%[lda4],1), %%ymm15\n\t"
        "vfmadd231ps %%ymm12, %%ymm15, %%ymm2\n\t"
        "vfmadd231ps %%ymm13, %%ymm15, %%ymm3\n\t"
        "vbroadcastss (%[a0],%[lda4],2), %%ymm14\n\t"
        "vfmadd231ps %%ymm12, %%ymm14, %%ymm4\n\t"
        "vfmadd231ps %%ymm13, %%ymm14, %%ymm5\n\t"
        "vbroadcastss (%[a3]), %%ymm15\n\t"
        "vfmadd231ps %%ymm12, %%ymm15, %%ymm6\n\t"
        "vfmadd231ps %%ymm13, %%ymm15, %%ymm7\n\t"
        "vbroadcastss (%[a3],%[lda4],1), %%ymm14\n\t"
        "vfmadd231ps %%ymm12, %%ymm14, %%ymm8\n\t"
        "vfmadd231ps %%ymm13, %%ymm14, %%ymm9\n\t"
        "vbroadcastss (%[a3],%[lda4],2), %%ymm15\n\t"
        "vfmadd231ps %%ymm12, %%ymm15, %%ymm10\n\t"
        "vfmadd231ps %%ymm13, %%ymm15, %%ymm11\n\t"
        "add $4, %[a0]\n\t"
        "add $4, %[a3]\n\t"
        "add %[ldb4], %[b]\n\t"
        "dec %[n]\n\t"
        "jnz 1b\n"
        "2:\n\t"
        "vmovups %%ymm0, (%[c])\n\t"
        "vmovups %%ymm1, 32(%[c])\n\t"
        "vmovups %%ymm2, (%[c],%[ldc4],1)\n\t"
        "vmovups %%ymm3, 32(%[c],%[ldc4],1)\n\t"
        "vmovups %%ymm4, (%[c],%[ldc4],2)\n\t"
        "vmovups %%ymm5, 32(%[c],%[ldc4],2)\n\t"
        "vmovups %%ymm6, (%[c3])\n\t"
        "vmovups %%ymm7, 32(%[c3])\n\t"
        "vmovups %%ymm8, (%[c3],%[ldc4],1)\n\t"
        "vmovups %%ymm9, 32(%[c3],%[ldc4],1)\n\t"
        "vmovups %%ymm10, (%[c3],%[ldc4],2)\n\t"
        "vmovups %%ymm11, 32(%[c3],%[ldc4],2)\n\t"
        "vzeroupper\n\t"
        : [n] "+r"(kc), [a0] "+r"(a), [a3] "+r"(a3), [b] "+r"(b)
        : [lda4] "r"(lda4), [ldb4] "r"(ldb4), [c] "r"(c), [c3] "r"(c3), [ldc4] "r"(ldc4), [acc] "r"(accumulate)
        : "cc", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
          "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
#else
    gemm_tile_rows(SG_MR, a, lda, b, ldb, kc, c, ldc, accumulate);
#endif
}


// A tile of 1..SG_MR rows (the full one: gemm_tile), each partial count its own unrolled copy.
static inline void gemm_tile_any(int rows, const float *a, size_t lda, const float *b, size_t ldb, long kc, float *c,
                                 size_t ldc, long accumulate) {
    switch (rows) {
    case 1: gemm_tile_rows(1, a, lda, b, ldb, kc, c, ldc, accumulate); break;
    case 2: gemm_tile_rows(2, a, lda, b, ldb, kc, c, ldc, accumulate); break;
    case 3: gemm_tile_rows(3, a, lda, b, ldb, kc, c, ldc, accumulate); break;
    case 4: gemm_tile_rows(4, a, lda, b, ldb, kc, c, ldc, accumulate); break;
    case 5: gemm_tile_rows(5, a, lda, b, ldb, kc, c, ldc, accumulate); break;
    default: gemm_tile(a, lda, b, ldb, kc, c, ldc, accumulate); break;
    }
}

// Whether gemm_strided beats a one-thread OpenBLAS sgemm on C[M, N] = A[M, K] B[K, N]
// (the Winograd products): with A up to 128 x 128 (64 KiB, in L2) or N up to 64 columns.
// Beyond both, OpenBLAS's packed panels win: B read in place down K strided rows from L2
// falls behind (measured on the EPYC, alternated: 512 x 512 A, N = 104: 80 -> 97 ms a
// conv; 256 x 256, N = 304: 80 -> 90 ms), while at 128 channels or few tiles the packing
// costs more than it saves (128 -> 64 up-conv @64² batch 1, N = 256: 2.1-2.6 -> 1.9-2.05
// ms; 512 @16² batch 2, N = 32: 9.0 -> 7.4 ms).
static inline int gemm_strided_pays(int M, int N, int K) {
    return (long)M * K <= 128 * 128 || N <= 64;
}

// C[M, N] = A[M, K] * B[K, N] on the calling thread, every operand row-major and read or
// written in place (strides lda, ldb, ldc): nothing is packed but the last N % SG_NR
// columns, which go through a zero-padded panel so they too run on the tile. For the
// many small products of a Winograd conv, run side by side one per thread. B is taken in
// column blocks that stay in L2 while every row block of A passes over them. Each C
// element is the k-ordered FMA chain over K, so it does not depend on the thread count.
static inline void gemm_strided(int M, int N, int K, const float *A, size_t lda, const float *B, size_t ldb, float *C,
                                size_t ldc) {
    const int nfull = N / SG_NR * SG_NR;
    int nc = (int)(GEMM_STRIDED_L2_FLOATS / (K > 0 ? K : 1)) / SG_NR * SG_NR;
    if (nc < SG_NR) nc = SG_NR;
    for (int j0 = 0; j0 < nfull; j0 += nc) {
        const int j1 = j0 + nc < nfull ? j0 + nc : nfull;
        for (int i = 0; i < M; i += SG_MR) {
            const int rows = M - i < SG_MR ? M - i : SG_MR;
            const float *a = A + (size_t)i * lda;
            for (int j = j0; j < j1; j += SG_NR) gemm_tile_any(rows, a, lda, B + j, ldb, K, C + (size_t)i * ldc + j, ldc, 0);
        }
    }
    const int rest = N - nfull;
    if (rest == 0) return;
    // The last columns, GEMM_TAIL_K rows of B at a time: copied once into a zero-padded
    // panel, which every row block multiplies into a private tile that carries C's tail
    // columns from one K chunk to the next (K = 0 still writes zeros).
    enum { GEMM_TAIL_K = 256 };
    float panel[GEMM_TAIL_K * SG_NR], tile[SG_MR * SG_NR];
    for (int k0 = 0; k0 == 0 || k0 < K; k0 += GEMM_TAIL_K) {
        const int kl = K - k0 < GEMM_TAIL_K ? K - k0 : GEMM_TAIL_K;
        for (int k = 0; k < kl; k++) {
            const float *src = B + (size_t)(k0 + k) * ldb + nfull;
            for (int j = 0; j < SG_NR; j++) panel[k * SG_NR + j] = j < rest ? src[j] : 0.0f;
        }
        for (int i = 0; i < M; i += SG_MR) {
            const int rows = M - i < SG_MR ? M - i : SG_MR;
            float *c = C + (size_t)i * ldc + nfull;
            for (int r = 0; r < rows; r++)
                for (int j = 0; j < SG_NR; j++) tile[r * SG_NR + j] = k0 > 0 && j < rest ? c[(size_t)r * ldc + j] : 0.0f;
            gemm_tile_any(rows, A + (size_t)i * lda + k0, lda, panel, SG_NR, kl, tile, SG_NR, 1);
            for (int r = 0; r < rows; r++)
                for (int j = 0; j < rest; j++) c[(size_t)r * ldc + j] = tile[r * SG_NR + j];
        }
    }
}

// C[M, N] = A[M, K] * B[K, N] on the calling thread (inside a parallel region, where
// OpenBLAS cannot nest its threads): gemm_strided where it pays, else a one-thread sgemm.
static inline void gemm_one_thread(int M, int N, int K, const float *A, size_t lda, const float *B, size_t ldb,
                                   float *C, size_t ldc) {
    if (gemm_strided_pays(M, N, K))
        gemm_strided(M, N, K, A, lda, B, ldb, C, ldc);
    else
        ck_sgemm(0, 0, M, N, K, 1.0f, A, (int)lda, B, (int)ldb, 0.0f, C, (int)ldc);
}

#endif
