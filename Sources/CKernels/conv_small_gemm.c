// Small-N GEMM path: the forward of layers with few output pixels over the whole batch
// (4x4 and 8x8 layers), where OpenBLAS spends most of its time packing the weights.
// All images' columns go side by side into SG_NR-column panels and one register-tiled
// 6 x (2 vectors) GEMM computes [cout, n*ho*wo]: 6x16 with AVX2 (hand-written), 6x32 with
// AVX-512, 6x8 portable (ck_simd.h). The plan (conv2d.c) says when.
#include "ck_levels.h"
#include "conv_paths.h"
#include "ck_simd.h"

#include <string.h>

// C[M, N] = A[M, K] * B[K, N] for small N, where OpenBLAS spends most of its time
// packing A (the weights, read once per call anyway). A is read in place, B has
// ldb >= round_up(N, SG_NR) with zeros in the padding columns, C gets ldc >= round_up(N, SG_NR).
// Threads split the rows of C; K is processed in chunks so a chunk of B stays in L2.
// (SG_MR, the rows per tile, is in conv_paths.h: the plan needs cout >= SG_MR.)
#define SG_NR (2 * CK_VW)
#ifndef SG_KC
#define SG_KC 256
#endif

static inline void sgemm_tile_6x16(const float *a, size_t lda, const float *b, size_t ldb, long kc,
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
    ck_vf acc[SG_MR][2];
    for (int i = 0; i < SG_MR; i++) {
        acc[i][0] = accumulate ? vf_load(c + i * ldc) : vf_zero();
        acc[i][1] = accumulate ? vf_load(c + i * ldc + CK_VW) : vf_zero();
    }
    for (long k = 0; k < kc; k++) {
        const ck_vf b0 = vf_load(b + k * ldb), b1 = vf_load(b + k * ldb + CK_VW);
        for (int i = 0; i < SG_MR; i++) {
            const ck_vf ai = vf_set1(a[i * lda + k]);
            acc[i][0] = vf_fma(ai, b0, acc[i][0]);
            acc[i][1] = vf_fma(ai, b1, acc[i][1]);
        }
    }
    for (int i = 0; i < SG_MR; i++) {
        vf_store(c + i * ldc, acc[i][0]);
        vf_store(c + i * ldc + CK_VW, acc[i][1]);
    }
#endif
}

// Workspace: SG_MR * K floats (zero-padded copy of the last, partial row block of A).
static size_t small_gemm_ws(int K) { return (size_t)SG_MR * K; }

// C[M, N] (ldc >= round_up(N, SG_NR)) = A[M, K] (row-major, read in place) * B, where B
// is packed in panels Bp[N / SG_NR][K][SG_NR] (zeros in the padding columns).
static void small_gemm(int M, int N, int K, const float *A, const float *Bp, float *C, size_t ldc,
                       float *ws) {
    const int mb = (M + SG_MR - 1) / SG_MR;
    const int nb = (N + SG_NR - 1) / SG_NR;
    const int mfull = M / SG_MR;
    if (mfull < mb) {
        // Last block of rows, padded with zero rows.
        memset(ws, 0, sizeof(float) * (size_t)SG_MR * K);
        memcpy(ws, A + (size_t)mfull * SG_MR * K, sizeof(float) * (size_t)(M - mfull * SG_MR) * K);
    }
    // The A block (SG_MR x kc) is re-read for every column block: keep it in L1.
    long kc = nb == 1 ? K : SG_KC;
    if (kc > K) kc = K;
    float tail[SG_MR * SG_NR];
#pragma omp parallel private(tail)
    for (long k0 = 0; k0 < K; k0 += kc) {
        const long kl = k0 + kc <= K ? kc : K - k0;
#pragma omp for schedule(static) nowait
        for (int i = 0; i < mb; i++) {
            const int full = i < mfull;
            const float *a = full ? A + (size_t)i * SG_MR * K + k0 : ws + k0;
            for (int j = 0; j < nb; j++) {
                const float *b = Bp + ((size_t)j * K + (size_t)k0) * SG_NR;
                float *c = C + (size_t)i * SG_MR * ldc + (size_t)j * SG_NR;
                if (full) {
                    sgemm_tile_6x16(a, (size_t)K, b, SG_NR, kl, c, ldc, k0 > 0);
                } else {
                    // Partial rows: accumulate through a private tile.
                    const int rows = M - i * SG_MR;
                    if (k0 > 0)
                        for (int r = 0; r < rows; r++) memcpy(tail + r * SG_NR, c + r * ldc, sizeof(float) * SG_NR);
                    sgemm_tile_6x16(a, (size_t)K, b, SG_NR, kl, tail, SG_NR, k0 > 0);
                    for (int r = 0; r < rows; r++) memcpy(c + r * ldc, tail + r * SG_NR, sizeof(float) * SG_NR);
                }
            }
        }
    }
}

// MARK: - Forward

size_t ck_conv_small_gemm_workspace_floats(const ck_conv_shape *s) {
    const int N = s->n * s->ho * s->wo, K = s->cin * s->kh * s->kw;
    const size_t np = ck_round_up((size_t)N, SG_NR);
    return (size_t)K * np + (size_t)s->cout * np + small_gemm_ws(K);
}

// Needs n * ho * wo <= SMALL_N and kh * kw <= SMALL_TAPS (the plan checks).
void ck_conv_small_gemm_forward(const ck_conv_shape *s, const float *x, const float *weight, float *y,
                                float *ws) {
    const int n = s->n, cout = s->cout, ho = s->ho, wo = s->wo;
    const size_t P = (size_t)ho * wo;
    const int K = s->cin * s->kh * s->kw;
    const size_t xs = (size_t)s->cin * s->h * s->w;
    const int N = n * (int)P;
    const size_t np = ck_round_up((size_t)N, SG_NR);
    float *col = ws, *tmp = ws + (size_t)K * np, *sws = tmp + (size_t)cout * np;
    // im2col straight into SG_NR-column panels: col[c / SG_NR][k][c % SG_NR].
    const int cin = s->cin, kk = s->kh * s->kw;
    const long jobs = (long)n * cin;
#pragma omp parallel
    {
        float rows[SMALL_N * SMALL_TAPS];
#pragma omp for schedule(static)
        for (long t = 0; t < jobs; t++) {
            const int j = (int)(t / cin), ci = (int)(t % cin);
            ck_conv_im2col_channel(s, x + (size_t)j * xs, ci, 0, ho, rows, P);
            for (int r = 0; r < kk; r++) {
                const size_t k = (size_t)ci * kk + r;
                for (size_t c = 0; c < P; c++) {
                    const size_t gc = (size_t)j * P + c;
                    col[((gc / SG_NR) * K + k) * SG_NR + gc % SG_NR] = rows[(size_t)r * P + c];
                }
                if (j == n - 1)
                    for (size_t gc = (size_t)N; gc < np; gc++)
                        col[((gc / SG_NR) * K + k) * SG_NR + gc % SG_NR] = 0.0f;
            }
        }
    }
    small_gemm(cout, N, K, weight, col, tmp, np, sws);
    const long jobs2 = (long)n * cout;
#pragma omp parallel for schedule(static)
    for (long t = 0; t < jobs2; t++) {
        const int j = (int)(t / cout), co = (int)(t % cout);
        ck_copy_floats(y + ((size_t)j * cout + co) * P, tmp + (size_t)co * np + (size_t)j * P, (long)P);
    }
}
