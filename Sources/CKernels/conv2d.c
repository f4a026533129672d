// Fast conv2d kernels (cross-correlation, zero padding, square stride).
//
// Two strategies, chosen per shape by conv_plan():
//  * GEMM: im2col into the workspace + one ck_sgemm per chunk. Large images are
//    processed in chunks of output rows so the column buffer stays bounded
//    (COL_BUDGET floats); small images are grouped, the columns of several images
//    side by side, so one GEMM covers the whole group, and the [cout, g*P] result is
//    reordered back to NCHW. 1x1 stride-1 convs use the input directly.
//    Input grad = GEMM with Wᵀ + col2im; weight grad = im2col + GEMM (accumulated).
//  * Direct: for few channels at large spatial size (GEMM with M = 16..64 is poor),
//    a register-blocked AVX2/FMA kernel: 4 output channels x 24 output pixels of
//    accumulators, loop over (cin, ky, kx) with broadcast weights. Each thread copies
//    the input rows it needs into a zero-padded slab (stride phases de-interleaved,
//    so every load is contiguous). The stride-1 input gradient is the same kernel
//    with transposed, flipped weights.
// BLAS is only called outside OpenMP regions; all data movement is OpenMP-parallel.
#include "CKernels.h"
#include "ck_scratch.h"
#include "winograd.h"

#include <immintrin.h>
#include <string.h>

#define COL_BUDGET ((size_t)1 << 22)   // floats for the im2col buffer (16 MB)
#define GROUP_MAX_P 1024               // images with fewer output pixels are grouped
#define SLAB_BUDGET ((size_t)1 << 18)  // floats per thread for the direct kernel's input slab
#define DCO 4                          // direct kernel: output channels per block
#define DPX 24                         // direct kernel: output pixels per block
#define DIRECT_MAX_TAPS 1024           // direct kernel: max cin * kh * kw

void ck_conv_shape_finish(ck_conv_shape *s) {
    s->ho = (s->h + 2 * s->pad - s->kh) / s->stride + 1;
    s->wo = (s->w + 2 * s->pad - s->kw) / s->stride + 1;
}

// MARK: - Small-N GEMM (few output pixels: 4x4 and 8x8 layers)

// C[M, N] = A[M, K] * B[K, N] for small N, where OpenBLAS spends most of its time
// packing A (the weights, read once per call anyway). A is read in place, B has
// ldb >= round_up(N, 16) with zeros in the padding columns, C gets ldc >= round_up(N, 16).
// Threads split the rows of C; K is processed in chunks so a chunk of B stays in L2.
#define SG_MR 6
#define SG_NR 16
#ifndef SG_KC
#define SG_KC 256
#endif

static inline void sgemm_tile_6x16(const float *a, size_t lda, const float *b, size_t ldb, long kc,
                                   float *c, size_t ldc, long accumulate) {
#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
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
    for (int i = 0; i < SG_MR; i++)
        for (int j = 0; j < SG_NR; j++) {
            float acc = accumulate ? c[i * ldc + j] : 0.0f;
            for (long k = 0; k < kc; k++) acc += a[i * lda + k] * b[k * ldb + j];
            c[i * ldc + j] = acc;
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

// Forward with few output pixels in the whole batch (4x4, 8x8 layers): all images'
// columns side by side and the small-N GEMM above.
#define SMALL_N 128
#define SMALL_TAPS 25
static int use_small_forward(const ck_conv_shape *s) {
    const long N = (long)s->n * s->ho * s->wo;
    return N <= SMALL_N && s->kh * s->kw <= SMALL_TAPS && s->cout >= SG_MR && (long)s->cin * s->kh * s->kw >= 16;
}

static size_t small_forward_ws(const ck_conv_shape *s) {
    const int N = s->n * s->ho * s->wo, K = s->cin * s->kh * s->kw;
    const size_t np = ck_round_up((size_t)N, SG_NR);
    return (size_t)K * np + (size_t)s->cout * np + small_gemm_ws(K);
}

// MARK: - Planning

typedef struct {
    int group;        // 1: images grouped, columns side by side; 0: per image, row chunks
    int g;            // images per group
    int rc;           // output rows per chunk (per-image mode)
    int is1x1;        // 1x1, stride 1, pad 0: no im2col in per-image mode
    size_t col, tmp;  // workspace floats
} gemm_plan;

static gemm_plan make_gemm_plan(const ck_conv_shape *s) {
    gemm_plan p;
    memset(&p, 0, sizeof p);
    const size_t K = (size_t)s->cin * s->kh * s->kw;
    const size_t P = (size_t)s->ho * s->wo;
    p.is1x1 = (s->kh == 1 && s->kw == 1 && s->stride == 1 && s->pad == 0);
    if (s->n > 1 && P < GROUP_MAX_P) {
        size_t g = COL_BUDGET / (K * P ? K * P : 1);
        if (g > (size_t)s->n) g = (size_t)s->n;
        if (g >= 2) {
            p.group = 1;
            p.g = (int)g;
            p.col = K * g * P;
            p.tmp = (size_t)s->cout * g * P;
            return p;
        }
    }
    size_t rc = COL_BUDGET / (K * (size_t)(s->wo > 0 ? s->wo : 1) ? K * (size_t)(s->wo > 0 ? s->wo : 1) : 1);
    if (rc < 1) rc = 1;
    if (rc > (size_t)s->ho) rc = (size_t)(s->ho > 0 ? s->ho : 1);
    size_t nch = ((size_t)s->ho + rc - 1) / rc;
    if (nch < 1) nch = 1;
    rc = ((size_t)s->ho + nch - 1) / nch;
    p.g = 1;
    p.rc = (int)(rc > 0 ? rc : 1);
    p.col = K * (size_t)p.rc * (size_t)s->wo;
    p.tmp = 0;
    return p;
}

// Direct-kernel geometry. x' [n, cin, h, w] -> y' [n, cout, ho, wo], pads may be negative.
typedef struct {
    int n, cin, h, w, cout, kh, kw, st, pady, padx, ho, wo;
    int lp;        // padded length of one phase row in the slab
    int sr;        // slab rows per work item
    int rb;        // output rows per work item
    size_t slab;   // floats per thread: input slab
    size_t obuf;   // floats per thread: one output row for all channels
    size_t wpack;  // floats of packed weights
    // Where output (oy, ox) goes: row oy*ors + or0, column ox*ocs + oc0 of planes oh x ow.
    // Identity for a plain conv; strided for one phase of a strided input gradient.
    int oh, ow, ors, or0, ocs, oc0;
} direct_geom;

static void direct_geom_finish(direct_geom *d) {
    const int st = d->st;
    if (d->ors == 0) { d->oh = d->ho; d->ow = d->wo; d->ors = 1; d->or0 = 0; d->ocs = 1; d->oc0 = 0; }
    d->lp = (int)ck_round_up((size_t)ck_round_up((size_t)d->wo, DPX) + (size_t)(d->kw - 1) / st + 1, 8);
    const size_t row = (size_t)d->cin * st * d->lp;
    long rb = ((long)(SLAB_BUDGET / row) - d->kh) / st + 1;
    if (rb < 1) rb = 1;
    if (rb > 8) rb = 8;
    if (rb > d->ho) rb = d->ho > 0 ? d->ho : 1;
    d->rb = (int)rb;
    d->sr = (d->rb - 1) * st + d->kh;
    d->slab = ck_round_up(row * d->sr, 16);
    d->obuf = ck_round_up((size_t)((d->cout + DCO - 1) / DCO) * DCO * ck_round_up((size_t)d->wo, DPX), 16);
    d->wpack = ck_round_up((size_t)((d->cout + DCO - 1) / DCO) * DCO * d->cin * d->kh * d->kw, 16);
}

static int use_direct_forward(const ck_conv_shape *s) {
    const long P = (long)s->ho * s->wo;
    return P >= 4096 && s->cout <= 64 && s->cin * s->kh * s->kw <= DIRECT_MAX_TAPS && s->wo >= 16;
}

static direct_geom forward_geom(const ck_conv_shape *s) {
    direct_geom d = {s->n, s->cin, s->h, s->w, s->cout, s->kh, s->kw, s->stride, s->pad, s->pad,
                     s->ho, s->wo, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    direct_geom_finish(&d);
    return d;
}

// Stride-1 input gradient as a direct conv of gy with transposed, flipped weights.
// Input gradient with few channels at large spatial size: for stride s it splits into
// s*s phases (output rows/columns with the same (i + pad) mod s); each phase is a
// stride-1 direct conv of gy with a transposed, flipped sub-kernel, written strided.
static int use_direct_input_grad(const ck_conv_shape *s) {
    const long P = (long)s->h * s->w;
    return P >= 4096 && s->cin <= 64 && s->cout * s->kh * s->kw <= DIRECT_MAX_TAPS &&
           s->w / s->stride >= 16 && s->kw <= 16 * s->stride;
}

// Phase (ry, rx) geometry; returns 0 when the phase has no taps or no outputs.
static int input_grad_phase_geom(const ck_conv_shape *s, int ry, int rx, direct_geom *d) {
    const int st = s->stride, p = s->pad;
    const int jy = ry < s->kh ? (s->kh - ry + st - 1) / st : 0;
    const int jx = rx < s->kw ? (s->kw - rx + st - 1) / st : 0;
    // Output rows iy = ry + st*u - p for u in [u0, u1].
    const int uy0 = p - ry > 0 ? (p - ry + st - 1) / st : 0;
    const int uy1 = (s->h - 1 + p - ry) >= 0 ? (s->h - 1 + p - ry) / st : -1;
    const int ux0 = p - rx > 0 ? (p - rx + st - 1) / st : 0;
    const int ux1 = (s->w - 1 + p - rx) >= 0 ? (s->w - 1 + p - rx) / st : -1;
    if (jy == 0 || jx == 0 || uy1 < uy0 || ux1 < ux0) return 0;
    direct_geom g = {s->n, s->cout, s->ho, s->wo, s->cin, jy, jx, 1, jy - 1 - uy0, jx - 1 - ux0,
                     uy1 - uy0 + 1, ux1 - ux0 + 1, 0, 0, 0, 0, 0, 0,
                     s->h, s->w, st, ry + st * uy0 - p, st, rx + st * ux0 - p};
    direct_geom_finish(&g);
    *d = g;
    return 1;
}

static size_t input_grad_direct_ws(const ck_conv_shape *s) {
    size_t need = 0;
    for (int ry = 0; ry < s->stride; ry++)
        for (int rx = 0; rx < s->stride; rx++) {
            direct_geom d;
            if (!input_grad_phase_geom(s, ry, rx, &d)) continue;
            const size_t v = d.wpack + (size_t)ck_scratch_slots() * (d.slab + d.obuf);
            if (v > need) need = v;
        }
    return need;
}

// Weight gradient for few channels at large spatial size: direct register-blocked
// reduction over pixels (WG_CO output channels x WG_TAPS taps of 8-lane accumulators).
#define WG_CO 2
#define WG_TAPS 6
#define WG_CHUNK 256   // pixels per pass over one row

static int use_direct_weight_grad(const ck_conv_shape *s) { return use_direct_forward(s); }

static size_t wgrad_taps_pad(const direct_geom *d) {
    return ck_round_up((size_t)d->cin * d->kh * d->kw, WG_TAPS);
}
static size_t wgrad_gbuf_floats(const direct_geom *d) {
    return ck_round_up((size_t)d->cout, WG_CO) * d->rb * ck_round_up((size_t)d->wo, 8);
}
static size_t wgrad_slot_floats(const direct_geom *d) {
    return d->slab + ck_round_up(wgrad_gbuf_floats(d), 16) +
           ck_round_up((size_t)d->cout, WG_CO) * wgrad_taps_pad(d) * 8;
}

size_t ck_conv2d_workspace_floats(const ck_conv_shape *s) {
    gemm_plan p = make_gemm_plan(s);
    size_t need = p.col + p.tmp;
    if (use_small_forward(s) && small_forward_ws(s) > need) need = small_forward_ws(s);
    if (use_direct_forward(s)) {
        direct_geom d = forward_geom(s);
        size_t v = d.wpack + (size_t)ck_scratch_slots() * (d.slab + d.obuf);
        if (v > need) need = v;
    }
    if (use_direct_input_grad(s) && input_grad_direct_ws(s) > need) need = input_grad_direct_ws(s);
    if (use_direct_weight_grad(s)) {
        direct_geom d = forward_geom(s);
        size_t v = (size_t)ck_scratch_slots() * wgrad_slot_floats(&d);
        if (v > need) need = v;
    }
    for (int pass = 0; pass < 3; pass++)   // Winograd (winograd.c), per pass
        if (ck_wino_workspace_floats(s, pass) > need) need = ck_wino_workspace_floats(s, pass);
    return need;
}

// Inline copy / zero for the short rows of small layers (libc calls and masked stores
// dominate there).
static inline void copy_floats(float *d, const float *s, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(d + i, _mm256_loadu_ps(s + i));
    if (n - i >= 4) { _mm_storeu_ps(d + i, _mm_loadu_ps(s + i)); i += 4; }
    if (n - i >= 2) { _mm_storel_pi((__m64 *)(d + i), _mm_loadl_pi(_mm_setzero_ps(), (const __m64 *)(s + i))); i += 2; }
    if (n - i >= 1) d[i] = s[i];
}
static inline void zero_floats_short(float *d, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(d + i, _mm256_setzero_ps());
    if (n - i >= 4) { _mm_storeu_ps(d + i, _mm_setzero_ps()); i += 4; }
    if (n - i >= 2) { _mm_storel_pi((__m64 *)(d + i), _mm_setzero_ps()); i += 2; }
    if (n - i >= 1) d[i] = 0.0f;
}

// MARK: - im2col / col2im

// Valid output-column range [lo, hi) for kernel column kx: ox*st - p + kx in [0, w).
static inline void valid_cols(int st, int p, int kx, int w, int wo, int *lo, int *hi) {
    int l, h;
    if (st == 1) {
        l = p - kx > 0 ? p - kx : 0;
        h = w + p - kx;
    } else {
        l = p - kx > 0 ? (p - kx + st - 1) / st : 0;
        h = (w - 1 + p - kx) >= 0 ? (w - 1 + p - kx) / st + 1 : 0;
    }
    if (h > wo) h = wo;
    if (l > h) l = h;
    *lo = l;
    *hi = h;
}

// The kh*kw rows of channel ci of the column matrix, for output rows [r0, r1) of one
// image: row (ky, kx) goes to dst + (ky*kw + kx) * ldrow.
static void im2col_channel(const ck_conv_shape *s, const float *xb, int ci, int r0, int r1, float *dst,
                           size_t ldrow) {
    const int st = s->stride, p = s->pad, h = s->h, w = s->w, wo = s->wo, kh = s->kh, kw = s->kw;
    const float *xc = xb + (size_t)ci * h * w;
    for (int kx = 0; kx < kw; kx++) {
        int lo, hi;
        valid_cols(st, p, kx, w, wo, &lo, &hi);
        for (int ky = 0; ky < kh; ky++) {
            float *drow = dst + (size_t)(ky * kw + kx) * ldrow;
            for (int oy = r0; oy < r1; oy++) {
                float *d = drow + (size_t)(oy - r0) * wo;
                const int iy = oy * st - p + ky;
                if (iy < 0 || iy >= h) {
                    zero_floats_short(d, wo);
                    continue;
                }
                const float *xr = xc + (size_t)iy * w - p + kx;
                if (lo > 0) zero_floats_short(d, lo);
                if (st == 1) {
                    copy_floats(d + lo, xr + lo, hi - lo);
                } else {
                    for (int ox = lo; ox < hi; ox++) d[ox] = xr[(size_t)ox * st];
                }
                if (hi < wo) zero_floats_short(d + hi, wo - hi);
            }
        }
    }
}

// Adds the rows of channel ci of the column matrix (ld = ldcol) into gx plane ci.
static void col2im_channel(const ck_conv_shape *s, const float *col, size_t ldcol, int ci, int r0,
                           int r1, float *gxb) {
    const int kh = s->kh, kw = s->kw, st = s->stride, p = s->pad, h = s->h, w = s->w, wo = s->wo;
    float *gc = gxb + (size_t)ci * h * w;
    for (int ky = 0; ky < kh; ky++)
        for (int kx = 0; kx < kw; kx++) {
            const float *src = col + (size_t)((ci * kh + ky) * kw + kx) * ldcol;
            int lo, hi;
            valid_cols(st, p, kx, w, wo, &lo, &hi);
            for (int oy = r0; oy < r1; oy++) {
                const int iy = oy * st - p + ky;
                if (iy < 0 || iy >= h) continue;
                const float *sr = src + (size_t)(oy - r0) * wo;
                float *gr = gc + (size_t)iy * w - p + kx;
                if (st == 1) {
                    for (int ox = lo; ox < hi; ox++) gr[ox] += sr[ox];
                } else {
                    for (int ox = lo; ox < hi; ox++) gr[(size_t)ox * st] += sr[ox];
                }
            }
        }
}

static void zero_floats(float *p, size_t n) {
    const long chunks = (long)((n + 65535) / 65536);
#pragma omp parallel for schedule(static)
    for (long c = 0; c < chunks; c++) {
        size_t a = (size_t)c * 65536, b = a + 65536 < n ? a + 65536 : n;
        memset(p + a, 0, sizeof(float) * (b - a));
    }
}

// MARK: - Direct kernel

// wp[cb][ci][ky][kx][DCO] from w[co][ci][ky][kx], zero for co >= cout.
static void pack_direct_weights(const direct_geom *d, const float *w, float *wp) {
    const int cin = d->cin, cout = d->cout, kh = d->kh, kw = d->kw;
    const int ncb = (cout + DCO - 1) / DCO;
#pragma omp parallel for schedule(static)
    for (int cb = 0; cb < ncb; cb++)
        for (int ci = 0; ci < cin; ci++)
            for (int ky = 0; ky < kh; ky++)
                for (int kx = 0; kx < kw; kx++)
                    for (int j = 0; j < DCO; j++) {
                        const int co = cb * DCO + j;
                        float v = 0.0f;
                        if (co < cout) v = w[(((size_t)co * cin + ci) * kh + ky) * kw + kx];
                        wp[((((size_t)cb * cin + ci) * kh + ky) * kw + kx) * DCO + j] = v;
                    }
}

// One tile: DCO output channels x DPX pixels, summed over all taps. pbase points at the
// slab position of the tile's first pixel, offs[t] is tap t's offset, wq the packed
// weights [ntaps][DCO]; the result rows go to yo + j*ldo.
static inline void direct_tile(const float *pbase, const int *offs, const float *wq, int ntaps,
                               float *yo, size_t ldo) {
#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
    // Hand-scheduled: clang spills one of the 12 accumulators in the intrinsics version.
    long n = ntaps;
    const int *op = offs;
    float *y1 = yo + ldo, *y2 = yo + 2 * ldo, *y3 = yo + 3 * ldo;
    __asm__ volatile(
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
        "vxorps %%ymm11, %%ymm11, %%ymm11\n\t"
        "test %[n], %[n]\n\t"
        "jle 2f\n\t"
        ".p2align 4\n"
        "1:\n\t"
        "movslq (%[op]), %%rax\n\t"
        "vmovups (%[base],%%rax,4), %%ymm12\n\t"
        "vmovups 32(%[base],%%rax,4), %%ymm13\n\t"
        "vmovups 64(%[base],%%rax,4), %%ymm14\n\t"
        "vbroadcastss (%[w]), %%ymm15\n\t"
        "vfmadd231ps %%ymm12, %%ymm15, %%ymm0\n\t"
        "vfmadd231ps %%ymm13, %%ymm15, %%ymm1\n\t"
        "vfmadd231ps %%ymm14, %%ymm15, %%ymm2\n\t"
        "vbroadcastss 4(%[w]), %%ymm15\n\t"
        "vfmadd231ps %%ymm12, %%ymm15, %%ymm3\n\t"
        "vfmadd231ps %%ymm13, %%ymm15, %%ymm4\n\t"
        "vfmadd231ps %%ymm14, %%ymm15, %%ymm5\n\t"
        "vbroadcastss 8(%[w]), %%ymm15\n\t"
        "vfmadd231ps %%ymm12, %%ymm15, %%ymm6\n\t"
        "vfmadd231ps %%ymm13, %%ymm15, %%ymm7\n\t"
        "vfmadd231ps %%ymm14, %%ymm15, %%ymm8\n\t"
        "vbroadcastss 12(%[w]), %%ymm15\n\t"
        "vfmadd231ps %%ymm12, %%ymm15, %%ymm9\n\t"
        "vfmadd231ps %%ymm13, %%ymm15, %%ymm10\n\t"
        "vfmadd231ps %%ymm14, %%ymm15, %%ymm11\n\t"
        "add $4, %[op]\n\t"
        "add $16, %[w]\n\t"
        "dec %[n]\n\t"
        "jnz 1b\n"
        "2:\n\t"
        "vmovups %%ymm0, (%[y0])\n\t"
        "vmovups %%ymm1, 32(%[y0])\n\t"
        "vmovups %%ymm2, 64(%[y0])\n\t"
        "vmovups %%ymm3, (%[y1])\n\t"
        "vmovups %%ymm4, 32(%[y1])\n\t"
        "vmovups %%ymm5, 64(%[y1])\n\t"
        "vmovups %%ymm6, (%[y2])\n\t"
        "vmovups %%ymm7, 32(%[y2])\n\t"
        "vmovups %%ymm8, 64(%[y2])\n\t"
        "vmovups %%ymm9, (%[y3])\n\t"
        "vmovups %%ymm10, 32(%[y3])\n\t"
        "vmovups %%ymm11, 64(%[y3])\n\t"
        "vzeroupper\n\t"
        : [n] "+r"(n), [op] "+r"(op), [w] "+r"(wq)
        : [base] "r"(pbase), [y0] "r"(yo), [y1] "r"(y1), [y2] "r"(y2), [y3] "r"(y3)
        : "rax", "cc", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
          "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
#else
    __m256 a00 = _mm256_setzero_ps(), a01 = a00, a02 = a00;
    __m256 a10 = a00, a11 = a00, a12 = a00;
    __m256 a20 = a00, a21 = a00, a22 = a00;
    __m256 a30 = a00, a31 = a00, a32 = a00;
    for (int t = 0; t < ntaps; t++, wq += DCO) {
        const float *src = pbase + offs[t];
        const __m256 x0 = _mm256_loadu_ps(src);
        const __m256 x1 = _mm256_loadu_ps(src + 8);
        const __m256 x2 = _mm256_loadu_ps(src + 16);
        __m256 bw = _mm256_broadcast_ss(wq);
        a00 = _mm256_fmadd_ps(bw, x0, a00);
        a01 = _mm256_fmadd_ps(bw, x1, a01);
        a02 = _mm256_fmadd_ps(bw, x2, a02);
        bw = _mm256_broadcast_ss(wq + 1);
        a10 = _mm256_fmadd_ps(bw, x0, a10);
        a11 = _mm256_fmadd_ps(bw, x1, a11);
        a12 = _mm256_fmadd_ps(bw, x2, a12);
        bw = _mm256_broadcast_ss(wq + 2);
        a20 = _mm256_fmadd_ps(bw, x0, a20);
        a21 = _mm256_fmadd_ps(bw, x1, a21);
        a22 = _mm256_fmadd_ps(bw, x2, a22);
        bw = _mm256_broadcast_ss(wq + 3);
        a30 = _mm256_fmadd_ps(bw, x0, a30);
        a31 = _mm256_fmadd_ps(bw, x1, a31);
        a32 = _mm256_fmadd_ps(bw, x2, a32);
    }
    _mm256_storeu_ps(yo, a00);
    _mm256_storeu_ps(yo + 8, a01);
    _mm256_storeu_ps(yo + 16, a02);
    _mm256_storeu_ps(yo + ldo, a10);
    _mm256_storeu_ps(yo + ldo + 8, a11);
    _mm256_storeu_ps(yo + ldo + 16, a12);
    _mm256_storeu_ps(yo + 2 * ldo, a20);
    _mm256_storeu_ps(yo + 2 * ldo + 8, a21);
    _mm256_storeu_ps(yo + 2 * ldo + 16, a22);
    _mm256_storeu_ps(yo + 3 * ldo, a30);
    _mm256_storeu_ps(yo + 3 * ldo + 8, a31);
    _mm256_storeu_ps(yo + 3 * ldo + 16, a32);
#endif
}

// Builds the zero-padded, phase-split slab for output rows [oy0, oy1) of image xb.
static void direct_build_slab(const direct_geom *d, const float *xb, int oy0, int oy1, float *slab) {
    const int cin = d->cin, h = d->h, w = d->w, st = d->st, pady = d->pady, padx = d->padx;
    const int lp = d->lp, kh = d->kh;
    const size_t phrow = (size_t)st * lp, chstride = (size_t)d->sr * phrow;
    const int nrows = (oy1 - oy0 - 1) * st + kh;
    for (int ci = 0; ci < cin; ci++)
        for (int r = 0; r < nrows; r++) {
            const int iy = oy0 * st - pady + r;
            float *drow = slab + ci * chstride + (size_t)r * phrow;
            if (iy < 0 || iy >= h) {
                memset(drow, 0, sizeof(float) * phrow);
                continue;
            }
            const float *xr = xb + ((size_t)ci * h + iy) * w;
            for (int ph = 0; ph < st; ph++) {
                float *dp = drow + (size_t)ph * lp;
                const int t0 = padx - ph;
                int lo = t0 > 0 ? (t0 + st - 1) / st : 0;
                const int t1 = w - 1 + padx - ph;
                int hi = t1 >= 0 ? t1 / st + 1 : 0;
                if (hi > lp) hi = lp;
                if (lo > hi) lo = hi;
                for (int q = 0; q < lo; q++) dp[q] = 0.0f;
                if (st == 1) {
                    memcpy(dp + lo, xr + lo - padx, sizeof(float) * (size_t)(hi - lo));
                } else {
                    for (int q = lo; q < hi; q++) dp[q] = xr[q * st + ph - padx];
                }
                for (int q = hi; q < lp; q++) dp[q] = 0.0f;
            }
        }
}

// Phase (ry, rx) of the input gradient: logical weight w'[ci][co][jj][ii] =
// w[co][ci][ry + st*(kh'-1-jj)][rx + st*(kw'-1-ii)], packed as [cb][co][jj][ii][DCO].
static void pack_phase_weights(const direct_geom *d, const float *w, const ck_conv_shape *s, int ry, int rx,
                               float *wp) {
    const int cinp = d->cin, coutp = d->cout, jy = d->kh, jx = d->kw, st = s->stride;
    const int kh = s->kh, kw = s->kw, cin = s->cin;
    const int ncb = (coutp + DCO - 1) / DCO;
#pragma omp parallel for schedule(static)
    for (int cb = 0; cb < ncb; cb++)
        for (int co = 0; co < cinp; co++)
            for (int jj = 0; jj < jy; jj++)
                for (int ii = 0; ii < jx; ii++)
                    for (int l = 0; l < DCO; l++) {
                        const int ci = cb * DCO + l;
                        const int ky = ry + st * (jy - 1 - jj), kx = rx + st * (jx - 1 - ii);
                        wp[((((size_t)cb * cinp + co) * jy + jj) * jx + ii) * DCO + l] =
                            ci < coutp ? w[(((size_t)co * cin + ci) * kh + ky) * kw + kx] : 0.0f;
                    }
}

static void direct_conv(const direct_geom *d, const float *x, const float *wp, float *y, float *scratch) {
    const int cin = d->cin, h = d->h, w = d->w, cout = d->cout, kh = d->kh, kw = d->kw;
    const int st = d->st, pady = d->pady, padx = d->padx, ho = d->ho, wo = d->wo;
    const int lp = d->lp, sr = d->sr, rb = d->rb;
    const int ncb = (cout + DCO - 1) / DCO;
    const long nrb = (ho + rb - 1) / rb;
    const long items = (long)d->n * nrb;
    const size_t slabsz = d->slab + d->obuf;
    const size_t orow = ck_round_up((size_t)wo, DPX);   // row-buffer stride per channel
    const size_t phrow = (size_t)st * lp;          // floats per slab row (all phases)
    const size_t chstride = (size_t)sr * phrow;    // floats per channel in the slab
    // Slab offset of every tap (ci, ky, kx), so the inner loop is one flat loop.
    const int ntaps = cin * kh * kw;
    int offs[DIRECT_MAX_TAPS];
    for (int ci = 0, t = 0; ci < cin; ci++)
        for (int ky = 0; ky < kh; ky++)
            for (int kx = 0; kx < kw; kx++, t++)
                offs[t] = (int)(ci * chstride + ky * phrow) + (kx % st) * lp + kx / st;

#pragma omp parallel num_threads(ck_scratch_threads())
    {
        float *slab = scratch + (size_t)omp_get_thread_num() * slabsz;
        // Output rows go to a per-thread row buffer first: direct stores to the
        // channel planes (power-of-two strides apart) thrash the caches.
        float *obuf = slab + d->slab;
#pragma omp for schedule(static)
        for (long it = 0; it < items; it++) {
            const long b = it / nrb;
            const int oy0 = (int)(it % nrb) * rb;
            const int oy1 = oy0 + rb < ho ? oy0 + rb : ho;
            const float *xb = x + (size_t)b * cin * h * w;
            direct_build_slab(d, xb, oy0, oy1, slab);
            for (int oy = oy0; oy < oy1; oy++) {
                const float *rbase = slab + (size_t)(oy - oy0) * st * phrow;
                for (int px0 = 0; px0 < wo; px0 += DPX) {
                    const float *pbase = rbase + px0;
                    for (int cb = 0; cb < ncb; cb++) {
                        const float *wq = wp + (size_t)cb * ntaps * DCO;
                        float *yo = obuf + (size_t)cb * DCO * orow + px0;
                        direct_tile(pbase, offs, wq, ntaps, yo, orow);
                    }
                }
                const size_t yrow = (size_t)oy * d->ors + d->or0;
                for (int co = 0; co < cout; co++) {
                    float *yr = y + (((size_t)b * cout + co) * d->oh + yrow) * d->ow + d->oc0;
                    const float *src = obuf + (size_t)co * orow;
                    if (d->ocs == 1) {
                        memcpy(yr, src, sizeof(float) * (size_t)wo);
                    } else {
                        for (int q = 0; q < wo; q++) yr[(size_t)q * d->ocs] = src[q];
                    }
                }
            }
        }
    }
}


static void direct_weight_grad(const direct_geom *d, const float *x, const float *gy, float *gw,
                               float *scratch) {
    const int cin = d->cin, h = d->h, w = d->w, cout = d->cout, kh = d->kh, kw = d->kw;
    const int st = d->st, ho = d->ho, wo = d->wo, lp = d->lp, rb = d->rb;
    const int ntaps = cin * kh * kw;
    const int tpad = (int)wgrad_taps_pad(d);
    const int copad = (int)ck_round_up((size_t)cout, WG_CO);
    const int wo8 = (int)ck_round_up((size_t)wo, 8);
    const size_t phrow = (size_t)st * lp, chstride = (size_t)d->sr * phrow;
    const size_t slot = wgrad_slot_floats(d);
    const size_t gbufsz = ck_round_up(wgrad_gbuf_floats(d), 16);
    const size_t accsz = (size_t)copad * tpad * 8;
    const long nrb = (ho + rb - 1) / rb;
    const long items = (long)d->n * nrb;
    int offs[DIRECT_MAX_TAPS + WG_TAPS];
    for (int ci = 0, t = 0; ci < cin; ci++)
        for (int ky = 0; ky < kh; ky++)
            for (int kx = 0; kx < kw; kx++, t++)
                offs[t] = (int)(ci * chstride + ky * phrow) + (kx % st) * lp + kx / st;
    for (int t = ntaps; t < tpad; t++) offs[t] = 0;   // padding taps: results discarded
    int used = 1;

#pragma omp parallel num_threads(ck_scratch_threads())
    {
#pragma omp single
        used = omp_get_num_threads();
        float *slab = scratch + (size_t)omp_get_thread_num() * slot;
        float *gbuf = slab + d->slab;
        float *acc = gbuf + gbufsz;   // [copad][tpad][8], 32-byte aligned when ws is
        memset(acc, 0, sizeof(float) * accsz);
#pragma omp for schedule(static)
        for (long it = 0; it < items; it++) {
            const long b = it / nrb;
            const int oy0 = (int)(it % nrb) * rb;
            const int oy1 = oy0 + rb < ho ? oy0 + rb : ho;
            const int nr = oy1 - oy0;
            direct_build_slab(d, x + (size_t)b * cin * h * w, oy0, oy1, slab);
            // gy rows of this item, zero-padded to wo8 pixels and copad channels.
            for (int co = 0; co < copad; co++)
                for (int r = 0; r < nr; r++) {
                    float *dst = gbuf + ((size_t)co * rb + r) * wo8;
                    if (co < cout) {
                        memcpy(dst, gy + (((size_t)b * cout + co) * ho + oy0 + r) * wo, sizeof(float) * (size_t)wo);
                        for (int q = wo; q < wo8; q++) dst[q] = 0.0f;
                    } else {
                        memset(dst, 0, sizeof(float) * (size_t)wo8);
                    }
                }
            for (int r = 0; r < nr; r++) {
                const float *rowbase = slab + (size_t)r * st * phrow;
                for (int c0 = 0; c0 < wo8; c0 += WG_CHUNK) {
                    const int len = wo8 - c0 < WG_CHUNK ? wo8 - c0 : WG_CHUNK;
                    for (int cp = 0; cp < copad; cp += WG_CO) {
                        const float *g0 = gbuf + ((size_t)cp * rb + r) * wo8 + c0;
                        const float *g1 = g0 + (size_t)rb * wo8;
                        for (int tg = 0; tg < tpad; tg += WG_TAPS) {
                            const float *x0 = rowbase + offs[tg] + c0, *x1 = rowbase + offs[tg + 1] + c0;
                            const float *x2 = rowbase + offs[tg + 2] + c0, *x3 = rowbase + offs[tg + 3] + c0;
                            const float *x4 = rowbase + offs[tg + 4] + c0, *x5 = rowbase + offs[tg + 5] + c0;
                            float *A0 = acc + ((size_t)cp * tpad + tg) * 8;
                            float *A1 = A0 + (size_t)tpad * 8;
                            __m256 a00 = _mm256_loadu_ps(A0), a01 = _mm256_loadu_ps(A0 + 8);
                            __m256 a02 = _mm256_loadu_ps(A0 + 16), a03 = _mm256_loadu_ps(A0 + 24);
                            __m256 a04 = _mm256_loadu_ps(A0 + 32), a05 = _mm256_loadu_ps(A0 + 40);
                            __m256 a10 = _mm256_loadu_ps(A1), a11 = _mm256_loadu_ps(A1 + 8);
                            __m256 a12 = _mm256_loadu_ps(A1 + 16), a13 = _mm256_loadu_ps(A1 + 24);
                            __m256 a14 = _mm256_loadu_ps(A1 + 32), a15 = _mm256_loadu_ps(A1 + 40);
                            for (int q = 0; q < len; q += 8) {
                                const __m256 y0 = _mm256_loadu_ps(g0 + q), y1 = _mm256_loadu_ps(g1 + q);
                                __m256 v = _mm256_loadu_ps(x0 + q);
                                a00 = _mm256_fmadd_ps(y0, v, a00);
                                a10 = _mm256_fmadd_ps(y1, v, a10);
                                v = _mm256_loadu_ps(x1 + q);
                                a01 = _mm256_fmadd_ps(y0, v, a01);
                                a11 = _mm256_fmadd_ps(y1, v, a11);
                                v = _mm256_loadu_ps(x2 + q);
                                a02 = _mm256_fmadd_ps(y0, v, a02);
                                a12 = _mm256_fmadd_ps(y1, v, a12);
                                v = _mm256_loadu_ps(x3 + q);
                                a03 = _mm256_fmadd_ps(y0, v, a03);
                                a13 = _mm256_fmadd_ps(y1, v, a13);
                                v = _mm256_loadu_ps(x4 + q);
                                a04 = _mm256_fmadd_ps(y0, v, a04);
                                a14 = _mm256_fmadd_ps(y1, v, a14);
                                v = _mm256_loadu_ps(x5 + q);
                                a05 = _mm256_fmadd_ps(y0, v, a05);
                                a15 = _mm256_fmadd_ps(y1, v, a15);
                            }
                            _mm256_storeu_ps(A0, a00); _mm256_storeu_ps(A0 + 8, a01);
                            _mm256_storeu_ps(A0 + 16, a02); _mm256_storeu_ps(A0 + 24, a03);
                            _mm256_storeu_ps(A0 + 32, a04); _mm256_storeu_ps(A0 + 40, a05);
                            _mm256_storeu_ps(A1, a10); _mm256_storeu_ps(A1 + 8, a11);
                            _mm256_storeu_ps(A1 + 16, a12); _mm256_storeu_ps(A1 + 24, a13);
                            _mm256_storeu_ps(A1 + 32, a14); _mm256_storeu_ps(A1 + 40, a15);
                        }
                    }
                }
            }
        }
    }
    // Sum the per-thread, per-lane partials.
    const long total = (long)cout * ntaps;
#pragma omp parallel for schedule(static)
    for (long i = 0; i < total; i++) {
        const long co = i / ntaps, t = i % ntaps;
        double sum = 0.0;
        for (int th = 0; th < used; th++) {
            const float *a = scratch + (size_t)th * slot + d->slab + gbufsz + ((size_t)co * tpad + t) * 8;
            for (int l = 0; l < 8; l++) sum += a[l];
        }
        gw[i] = (float)sum;
    }
}

// MARK: - Forward

void ck_conv2d_forward(const ck_conv_shape *s, const float *x, const float *weight, float *y, float *ws) {
    const int n = s->n, cout = s->cout, ho = s->ho, wo = s->wo;
    const size_t P = (size_t)ho * wo;
    if (n <= 0 || cout <= 0 || P == 0) return;
    const int K = s->cin * s->kh * s->kw;
    if (K == 0) { zero_floats(y, (size_t)n * cout * P); return; }
    if (ck_wino_use(s, CK_WINO_FORWARD)) { ck_wino_forward(s, x, weight, y, ws); return; }

    if (use_direct_forward(s)) {
        direct_geom d = forward_geom(s);
        pack_direct_weights(&d, weight, ws);
        direct_conv(&d, x, ws, y, ws + d.wpack);
        return;
    }

    const size_t xs = (size_t)s->cin * s->h * s->w;
    if (use_small_forward(s)) {
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
                im2col_channel(s, x + (size_t)j * xs, ci, 0, ho, rows, P);
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
            copy_floats(y + ((size_t)j * cout + co) * P, tmp + (size_t)co * np + (size_t)j * P, (long)P);
        }
        return;
    }

    gemm_plan pl = make_gemm_plan(s);
    float *col = ws, *tmp = ws + pl.col;
    if (pl.group) {
        for (int b0 = 0; b0 < n; b0 += pl.g) {
            const int gg = b0 + pl.g <= n ? pl.g : n - b0;
            const size_t N = (size_t)gg * P;
            const int cin = s->cin, kk = s->kh * s->kw;
            const long jobs = (long)gg * cin;
#pragma omp parallel for schedule(static)
            for (long t = 0; t < jobs; t++) {
                const int j = (int)(t / cin), ci = (int)(t % cin);
                im2col_channel(s, x + (size_t)(b0 + j) * xs, ci, 0, ho, col + (size_t)ci * kk * N + (size_t)j * P, N);
            }
            ck_sgemm(0, 0, cout, (int)N, K, 1.0f, weight, K, col, (int)N, 0.0f, tmp, (int)N);
            const long jobs2 = (long)gg * cout;
#pragma omp parallel for schedule(static)
            for (long t = 0; t < jobs2; t++) {
                const int j = (int)(t / cout), co = (int)(t % cout);
                memcpy(y + ((size_t)(b0 + j) * cout + co) * P, tmp + (size_t)co * N + (size_t)j * P,
                       sizeof(float) * P);
            }
        }
        return;
    }
    for (int b = 0; b < n; b++) {
        const float *xb = x + (size_t)b * xs;
        float *yb = y + (size_t)b * cout * P;
        if (pl.is1x1) {
            ck_sgemm(0, 0, cout, (int)P, K, 1.0f, weight, K, xb, (int)P, 0.0f, yb, (int)P);
            continue;
        }
        for (int r0 = 0; r0 < ho; r0 += pl.rc) {
            const int r1 = r0 + pl.rc < ho ? r0 + pl.rc : ho;
            const int nc = (r1 - r0) * wo;
#pragma omp parallel for schedule(static)
            for (int ci = 0; ci < s->cin; ci++)
                im2col_channel(s, xb, ci, r0, r1, col + (size_t)ci * s->kh * s->kw * nc, (size_t)nc);
            ck_sgemm(0, 0, cout, nc, K, 1.0f, weight, K, col, nc, 0.0f, yb + (size_t)r0 * wo, (int)P);
        }
    }
}

// MARK: - Input gradient

void ck_conv2d_input_grad(const ck_conv_shape *s, const float *gy, const float *weight, float *gx,
                          float *ws) {
    const int n = s->n, cin = s->cin, cout = s->cout, ho = s->ho, wo = s->wo;
    const size_t P = (size_t)ho * wo;
    const size_t xs = (size_t)cin * s->h * s->w;
    if (n <= 0 || xs == 0) return;
    const int K = cin * s->kh * s->kw;
    if (cout <= 0 || P == 0) { zero_floats(gx, (size_t)n * xs); return; }
    if (ck_wino_use(s, CK_WINO_INPUT_GRAD)) { ck_wino_input_grad(s, gy, weight, gx, ws); return; }

    if (use_direct_input_grad(s)) {
        const int st = s->stride;
        if (s->kh < st || s->kw < st) zero_floats(gx, (size_t)n * xs);  // phases without taps
        for (int ry = 0; ry < st; ry++)
            for (int rx = 0; rx < st; rx++) {
                direct_geom d;
                if (!input_grad_phase_geom(s, ry, rx, &d)) continue;
                pack_phase_weights(&d, weight, s, ry, rx, ws);
                direct_conv(&d, gy, ws, gx, ws + d.wpack);
            }
        return;
    }

    gemm_plan pl = make_gemm_plan(s);
    float *col = ws, *tmp = ws + pl.col;
    if (!(pl.is1x1 && !pl.group)) zero_floats(gx, (size_t)n * xs);
    if (pl.group) {
        for (int b0 = 0; b0 < n; b0 += pl.g) {
            const int gg = b0 + pl.g <= n ? pl.g : n - b0;
            const size_t N = (size_t)gg * P;
            const long jobs = (long)gg * cout;
#pragma omp parallel for schedule(static)
            for (long t = 0; t < jobs; t++) {
                const int j = (int)(t / cout), co = (int)(t % cout);
                memcpy(tmp + (size_t)co * N + (size_t)j * P, gy + ((size_t)(b0 + j) * cout + co) * P,
                       sizeof(float) * P);
            }
            ck_sgemm(1, 0, K, (int)N, cout, 1.0f, weight, K, tmp, (int)N, 0.0f, col, (int)N);
            const long jobs2 = (long)gg * cin;
#pragma omp parallel for schedule(static)
            for (long t = 0; t < jobs2; t++) {
                const int j = (int)(t / cin), ci = (int)(t % cin);
                col2im_channel(s, col + (size_t)j * P, N, ci, 0, ho, gx + (size_t)(b0 + j) * xs);
            }
        }
        return;
    }
    for (int b = 0; b < n; b++) {
        const float *gyb = gy + (size_t)b * cout * P;
        float *gxb = gx + (size_t)b * xs;
        if (pl.is1x1) {
            ck_sgemm(1, 0, cin, (int)P, cout, 1.0f, weight, cin, gyb, (int)P, 0.0f, gxb, (int)P);
            continue;
        }
        for (int r0 = 0; r0 < ho; r0 += pl.rc) {
            const int r1 = r0 + pl.rc < ho ? r0 + pl.rc : ho;
            const int nc = (r1 - r0) * wo;
            ck_sgemm(1, 0, K, nc, cout, 1.0f, weight, K, gyb + (size_t)r0 * wo, (int)P, 0.0f, col, nc);
#pragma omp parallel for schedule(static)
            for (int ci = 0; ci < cin; ci++) col2im_channel(s, col, (size_t)nc, ci, r0, r1, gxb);
        }
    }
}

// MARK: - Weight gradient

void ck_conv2d_weight_grad(const ck_conv_shape *s, const float *x, const float *gy, float *gw, float *ws) {
    const int n = s->n, cin = s->cin, cout = s->cout, ho = s->ho, wo = s->wo;
    const size_t P = (size_t)ho * wo;
    const int K = cin * s->kh * s->kw;
    if (cout <= 0 || K == 0) return;
    if (n <= 0 || P == 0) { zero_floats(gw, (size_t)cout * K); return; }
    if (ck_wino_use(s, CK_WINO_WEIGHT_GRAD)) { ck_wino_weight_grad(s, x, gy, gw, ws); return; }

    if (use_direct_weight_grad(s)) {
        direct_geom d = forward_geom(s);
        direct_weight_grad(&d, x, gy, gw, ws);
        return;
    }

    gemm_plan pl = make_gemm_plan(s);
    float *col = ws, *tmp = ws + pl.col;
    const size_t xs = (size_t)cin * s->h * s->w;
    float beta = 0.0f;
    if (pl.group) {
        for (int b0 = 0; b0 < n; b0 += pl.g) {
            const int gg = b0 + pl.g <= n ? pl.g : n - b0;
            const size_t N = (size_t)gg * P;
            const int cin = s->cin, kk = s->kh * s->kw;
            const long jobs = (long)gg * cin;
#pragma omp parallel for schedule(static)
            for (long t = 0; t < jobs; t++) {
                const int j = (int)(t / cin), ci = (int)(t % cin);
                im2col_channel(s, x + (size_t)(b0 + j) * xs, ci, 0, ho, col + (size_t)ci * kk * N + (size_t)j * P, N);
            }
            const long jobs2 = (long)gg * cout;
#pragma omp parallel for schedule(static)
            for (long t = 0; t < jobs2; t++) {
                const int j = (int)(t / cout), co = (int)(t % cout);
                memcpy(tmp + (size_t)co * N + (size_t)j * P, gy + ((size_t)(b0 + j) * cout + co) * P,
                       sizeof(float) * P);
            }
            ck_sgemm(0, 1, cout, K, (int)N, 1.0f, tmp, (int)N, col, (int)N, beta, gw, K);
            beta = 1.0f;
        }
        return;
    }
    for (int b = 0; b < n; b++) {
        const float *xb = x + (size_t)b * xs;
        const float *gyb = gy + (size_t)b * cout * P;
        if (pl.is1x1) {
            ck_sgemm(0, 1, cout, cin, (int)P, 1.0f, gyb, (int)P, xb, (int)P, beta, gw, cin);
            beta = 1.0f;
            continue;
        }
        for (int r0 = 0; r0 < ho; r0 += pl.rc) {
            const int r1 = r0 + pl.rc < ho ? r0 + pl.rc : ho;
            const int nc = (r1 - r0) * wo;
#pragma omp parallel for schedule(static)
            for (int ci = 0; ci < s->cin; ci++)
                im2col_channel(s, xb, ci, r0, r1, col + (size_t)ci * s->kh * s->kw * nc, (size_t)nc);
            ck_sgemm(0, 1, cout, K, nc, 1.0f, gyb + (size_t)r0 * wo, (int)P, col, nc, beta, gw, K);
            beta = 1.0f;
        }
    }
}
