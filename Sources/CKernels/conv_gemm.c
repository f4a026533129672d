// GEMM conv paths: im2col into the workspace + ck_sgemm (OpenBLAS). The plan
// (conv2d.c) picks one of three layouts of the column matrix:
//  * grouped (several small images): the columns of g images side by side, [K, g*P],
//    so one GEMM covers the whole group; its [cout, g*P] result is reordered to NCHW.
//  * 1x1 (stride 1, pad 0), per image: x itself is the column matrix [cin, P].
//  * chunked, per image: output rows in chunks, so the column buffer stays within
//    COL_BUDGET floats.
// Forward: y = W · col. Input grad: col = Wᵀ · gy, then col2im adds col into gx.
// Weight grad: gw = gy · colᵀ, accumulated over the groups / chunks.
// One loop per layout serves the three passes. BLAS is only called outside OpenMP
// regions; all data movement is OpenMP-parallel.
#include "ck_levels.h"
#include "conv_paths.h"

#include <string.h>

#define COL_BUDGET ((size_t)1 << 22)   // floats for the im2col buffer (16 MB)

// MARK: - im2col / col2im

// Inline zero for the short rows of small layers.
static inline void zero_floats_short(float *d, long n) {
    long i = 0;
#if defined(__AVX__)
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(d + i, _mm256_setzero_ps());
    if (n - i >= 4) { _mm_storeu_ps(d + i, _mm_setzero_ps()); i += 4; }
    if (n - i >= 2) { _mm_storel_pi((__m64 *)(d + i), _mm_setzero_ps()); i += 2; }
    if (n - i >= 1) d[i] = 0.0f;
#else
    for (; i < n; i++) d[i] = 0.0f;
#endif
}

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

// See conv_paths.h.
void ck_conv_im2col_channel(const ck_conv_shape *s, const float *xb, int ci, int r0, int r1, float *dst,
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
                    ck_copy_floats(d + lo, xr + lo, hi - lo);
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

// See conv_paths.h.
void ck_conv_zero_floats(float *p, size_t n) {
    const long chunks = (long)((n + 65535) / 65536);
#pragma omp parallel for schedule(static)
    for (long c = 0; c < chunks; c++) {
        size_t a = (size_t)c * 65536, b = a + 65536 < n ? a + 65536 : n;
        memset(p + a, 0, sizeof(float) * (b - a));
    }
}

// Columns of output rows [r0, r1) of image xb: [K, (r1 - r0) * wo] at col.
static const float *im2col_rows(const ck_conv_shape *s, const float *xb, int r0, int r1, float *col) {
    const size_t nc = (size_t)(r1 - r0) * s->wo;
#pragma omp parallel for schedule(static)
    for (int ci = 0; ci < s->cin; ci++)
        ck_conv_im2col_channel(s, xb, ci, r0, r1, col + (size_t)ci * s->kh * s->kw * nc, nc);
    return col;
}

// Adds the columns of output rows [r0, r1) into image gxb.
static void col2im_rows(const ck_conv_shape *s, const float *col, int r0, int r1, float *gxb) {
    const size_t nc = (size_t)(r1 - r0) * s->wo;
#pragma omp parallel for schedule(static)
    for (int ci = 0; ci < s->cin; ci++) col2im_channel(s, col, nc, ci, r0, r1, gxb);
}

// MARK: - Geometry

int ck_conv_gemm_group_images(const ck_conv_shape *s) {
    const size_t K = (size_t)s->cin * s->kh * s->kw;
    const size_t P = (size_t)s->ho * s->wo;
    size_t g = COL_BUDGET / (K * P ? K * P : 1);
    if (g > (size_t)s->n) g = (size_t)s->n;
    return (int)g;
}

// Output rows per chunk (chunked layout): as many as fit COL_BUDGET, evened out.
static int chunk_rows(const ck_conv_shape *s) {
    const size_t K = (size_t)s->cin * s->kh * s->kw;
    size_t rc = COL_BUDGET / (K * (size_t)(s->wo > 0 ? s->wo : 1) ? K * (size_t)(s->wo > 0 ? s->wo : 1) : 1);
    if (rc < 1) rc = 1;
    if (rc > (size_t)s->ho) rc = (size_t)(s->ho > 0 ? s->ho : 1);
    size_t nch = ((size_t)s->ho + rc - 1) / rc;
    if (nch < 1) nch = 1;
    rc = ((size_t)s->ho + nch - 1) / nch;
    return (int)(rc > 0 ? rc : 1);
}

size_t ck_conv_gemm_workspace_floats(const ck_conv_shape *s, ck_conv_path path) {
    const size_t K = (size_t)s->cin * s->kh * s->kw;
    const size_t P = (size_t)s->ho * s->wo;
    if (path == CK_CONV_GEMM_GROUPED)   // col [K, g*P] + tmp [cout, g*P]
        return (K + (size_t)s->cout) * (size_t)ck_conv_gemm_group_images(s) * P;
    if (path == CK_CONV_GEMM_CHUNKED)   // col [K, rc*wo]
        return K * (size_t)chunk_rows(s) * (size_t)s->wo;
    return 0;                           // 1x1: x is the column matrix
}

// MARK: - Grouped

// NCHW planes of gg images [gg][c][P] <-> the GEMM layout [c][gg*P] (images side by side).
static void to_gemm_layout(const float *src, float *dst, int gg, int c, size_t P) {
    const size_t N = (size_t)gg * P;
    const long jobs = (long)gg * c;
#pragma omp parallel for schedule(static)
    for (long t = 0; t < jobs; t++) {
        const int j = (int)(t / c), co = (int)(t % c);
        memcpy(dst + (size_t)co * N + (size_t)j * P, src + ((size_t)j * c + co) * P, sizeof(float) * P);
    }
}

static void from_gemm_layout(const float *src, float *dst, int gg, int c, size_t P) {
    const size_t N = (size_t)gg * P;
    const long jobs = (long)gg * c;
#pragma omp parallel for schedule(static)
    for (long t = 0; t < jobs; t++) {
        const int j = (int)(t / c), co = (int)(t % c);
        memcpy(dst + ((size_t)j * c + co) * P, src + (size_t)co * N + (size_t)j * P, sizeof(float) * P);
    }
}

static void gemm_grouped(const ck_conv_shape *s, ck_conv_pass pass, const float *x, const float *weight,
                         const float *gy, float *out, float *ws) {
    const int n = s->n, cin = s->cin, cout = s->cout, ho = s->ho, kk = s->kh * s->kw;
    const int K = cin * kk;
    const size_t P = (size_t)ho * s->wo, xs = (size_t)cin * s->h * s->w;
    const int g = ck_conv_gemm_group_images(s);
    float *col = ws, *tmp = ws + (size_t)K * g * P;   // col [K, g*P], tmp [cout, g*P]
    if (pass == CK_CONV_INPUT_GRAD) ck_conv_zero_floats(out, (size_t)n * xs);   // col2im adds
    float beta = 0.0f;
    for (int b0 = 0; b0 < n; b0 += g) {
        const int gg = b0 + g <= n ? g : n - b0;
        const size_t N = (size_t)gg * P;
        if (pass != CK_CONV_INPUT_GRAD) {   // col = the group's columns of x
            const long jobs = (long)gg * cin;
#pragma omp parallel for schedule(static)
            for (long t = 0; t < jobs; t++) {
                const int j = (int)(t / cin), ci = (int)(t % cin);
                ck_conv_im2col_channel(s, x + (size_t)(b0 + j) * xs, ci, 0, ho,
                                       col + (size_t)ci * kk * N + (size_t)j * P, N);
            }
        }
        if (pass != CK_CONV_FORWARD) to_gemm_layout(gy + (size_t)b0 * cout * P, tmp, gg, cout, P);
        switch (pass) {
        case CK_CONV_FORWARD:
        case CK_CONV_INFERENCE:   // not passed here (conv2d.c sends CK_CONV_FORWARD)
            ck_sgemm(0, 0, cout, (int)N, K, 1.0f, weight, K, col, (int)N, 0.0f, tmp, (int)N);
            from_gemm_layout(tmp, out + (size_t)b0 * cout * P, gg, cout, P);
            break;
        case CK_CONV_INPUT_GRAD: {
            ck_sgemm(1, 0, K, (int)N, cout, 1.0f, weight, K, tmp, (int)N, 0.0f, col, (int)N);
            const long jobs = (long)gg * cin;
#pragma omp parallel for schedule(static)
            for (long t = 0; t < jobs; t++) {
                const int j = (int)(t / cin), ci = (int)(t % cin);
                col2im_channel(s, col + (size_t)j * P, N, ci, 0, ho, out + (size_t)(b0 + j) * xs);
            }
            break;
        }
        case CK_CONV_WEIGHT_GRAD:
            ck_sgemm(0, 1, cout, K, (int)N, 1.0f, tmp, (int)N, col, (int)N, beta, out, K);
            beta = 1.0f;
            break;
        }
    }
}

// MARK: - Per image (1x1 and chunked)

static void gemm_per_image(const ck_conv_shape *s, ck_conv_path path, ck_conv_pass pass, const float *x,
                           const float *weight, const float *gy, float *out, float *ws) {
    const int n = s->n, cin = s->cin, cout = s->cout, ho = s->ho, wo = s->wo;
    const int K = cin * s->kh * s->kw;
    const size_t P = (size_t)ho * wo, xs = (size_t)cin * s->h * s->w;
    const int is1x1 = path == CK_CONV_GEMM_1X1;   // the image is its own column matrix
    const int rc = is1x1 ? ho : chunk_rows(s);
    if (pass == CK_CONV_INPUT_GRAD && !is1x1) ck_conv_zero_floats(out, (size_t)n * xs);   // col2im adds
    float beta = 0.0f;
    for (int b = 0; b < n; b++)
        for (int r0 = 0; r0 < ho; r0 += rc) {
            const int r1 = r0 + rc < ho ? r0 + rc : ho;
            const int nc = (r1 - r0) * wo;
            switch (pass) {
            case CK_CONV_FORWARD:
            case CK_CONV_INFERENCE: {
                const float *xb = x + (size_t)b * xs;
                const float *col = is1x1 ? xb : im2col_rows(s, xb, r0, r1, ws);
                ck_sgemm(0, 0, cout, nc, K, 1.0f, weight, K, col, nc, 0.0f,
                         out + (size_t)b * cout * P + (size_t)r0 * wo, (int)P);
                break;
            }
            case CK_CONV_INPUT_GRAD: {
                float *gxb = out + (size_t)b * xs;
                float *col = is1x1 ? gxb : ws;
                ck_sgemm(1, 0, K, nc, cout, 1.0f, weight, K, gy + (size_t)b * cout * P + (size_t)r0 * wo, (int)P,
                         0.0f, col, nc);
                if (!is1x1) col2im_rows(s, col, r0, r1, gxb);
                break;
            }
            case CK_CONV_WEIGHT_GRAD: {
                const float *xb = x + (size_t)b * xs;
                const float *col = is1x1 ? xb : im2col_rows(s, xb, r0, r1, ws);
                ck_sgemm(0, 1, cout, K, nc, 1.0f, gy + (size_t)b * cout * P + (size_t)r0 * wo, (int)P, col, nc,
                         beta, out, K);
                beta = 1.0f;
                break;
            }
            }
        }
}

void ck_conv_gemm(const ck_conv_shape *s, ck_conv_path path, ck_conv_pass pass, const float *x,
                  const float *weight, const float *gy, float *out, float *ws) {
    if (path == CK_CONV_GEMM_GROUPED) gemm_grouped(s, pass, x, weight, gy, out, ws);
    else gemm_per_image(s, path, pass, x, weight, gy, out, ws);
}
