// Small-N GEMM path: the forward of layers with few output pixels over the whole batch
// (4x4 and 8x8 layers), where OpenBLAS spends most of its time packing the weights.
// All images' columns go side by side into SG_NR-column panels and one register-tiled
// 6 x (2 vectors) GEMM computes [cout, n*ho*wo]: 6x16 with AVX2 (hand-written), 6x32 with
// AVX-512, 6x8 portable (ck_simd.h). The plan (conv2d.c) says when.
#include "ck_levels.h"
#include "gemm_tile.h"

// C[M, N] = A[M, K] * B[K, N] for small N, where OpenBLAS spends most of its time
// packing A (the weights, read once per call anyway). A is read in place, B has
// ldb >= round_up(N, SG_NR) with zeros in the padding columns, C gets ldc >= round_up(N, SG_NR).
// Threads split the rows of C; K is processed in chunks so a chunk of B stays in L2.
// (SG_MR, the rows per tile, is in conv_paths.h: the plan needs cout >= SG_MR.)
#ifndef SG_KC
#define SG_KC 256
#endif

// C[M, N] (ldc >= round_up(N, SG_NR)) = A[M, K] (row-major, read in place) * B, where B
// is packed in panels Bp[N / SG_NR][K][SG_NR] (zeros in the padding columns).
static void small_gemm(int M, int N, int K, const float *A, const float *Bp, float *C, size_t ldc) {
    const int mb = (M + SG_MR - 1) / SG_MR;
    const int nb = (N + SG_NR - 1) / SG_NR;
    // The A block (SG_MR x kc) is re-read for every column block: keep it in L1.
    long kc = nb == 1 ? K : SG_KC;
    if (kc > K) kc = K;
#pragma omp parallel
    for (long k0 = 0; k0 < K; k0 += kc) {
        const long kl = k0 + kc <= K ? kc : K - k0;
#pragma omp for schedule(static) nowait
        for (int i = 0; i < mb; i++) {
            const int rows = M - i * SG_MR < SG_MR ? M - i * SG_MR : SG_MR;
            const float *a = A + (size_t)i * SG_MR * K + k0;
            for (int j = 0; j < nb; j++)
                gemm_tile_any(rows, a, (size_t)K, Bp + ((size_t)j * K + (size_t)k0) * SG_NR, SG_NR, kl,
                              C + (size_t)i * SG_MR * ldc + (size_t)j * SG_NR, ldc, k0 > 0);
        }
    }
}

// MARK: - Forward

size_t ck_conv_small_gemm_workspace_floats(const ck_conv_shape *s) {
    const int N = s->n * s->ho * s->wo, K = s->cin * s->kh * s->kw;
    const size_t np = ck_round_up((size_t)N, SG_NR);
    return (size_t)K * np + (size_t)s->cout * np;
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
    float *col = ws, *tmp = ws + (size_t)K * np;
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
    small_gemm(cout, N, K, weight, col, tmp, np);
    const long jobs2 = (long)n * cout;
#pragma omp parallel for schedule(static)
    for (long t = 0; t < jobs2; t++) {
        const int j = (int)(t / cout), co = (int)(t % cout);
        ck_copy_floats(y + ((size_t)j * cout + co) * P, tmp + (size_t)co * np + (size_t)j * P, (long)P);
    }
}
