// upfirdn2d: separable FIR resampling (upsample by zero insertion, pad/crop,
// convolve with fx ⊗ fy, keep every down-th sample).
//
// Fast version: rows are streamed. For each output row the vertical taps that
// hit real (non-inserted, non-padding) input rows are combined into one row of
// width w, which is then zero-upsampled/padded along x into a per-thread line
// buffer and filtered horizontally. No full-size intermediate is needed: the
// workspace holds one line pair per thread. Specialised paths handle the
// StyleGAN cases: 2-tap 2x upsampling with pads (1,0) (nearest up) and 2-tap
// 2x downsampling without pads (box down).
#include "ck_levels.h"
#include "CKernels.h"
#include "ck_scratch.h"

#include <stdlib.h>
#include <string.h>

#if CK_LEVEL_BASE   // level-independent: once, in CKernels (see ck_levels.h)
void ck_upfirdn2d_shape_finish(ck_upfirdn_shape *s) {
    s->ho = (s->h * s->upy + s->pady0 + s->pady1 - s->fh) / s->downy + 1;
    s->wo = (s->w * s->upx + s->padx0 + s->padx1 - s->fw) / s->downx + 1;
}
#endif

static size_t line_len(const ck_upfirdn_shape *s) {
    long lx = (long)s->w * s->upx + s->padx0 + s->padx1;
    if (lx < 1) lx = 1;
    return (size_t)lx;
}

static size_t slot_floats(const ck_upfirdn_shape *s) {
    return ck_round_up((size_t)s->w + 16, 16) + ck_round_up(line_len(s) + 16, 16);
}

#if CK_LEVEL_BASE
size_t ck_upfirdn2d_workspace_floats(const ck_upfirdn_shape *s) {
    return (size_t)ck_scratch_slots() * slot_floats(s);
}

// MARK: - Naive reference

void ck_upfirdn2d_naive(const ck_upfirdn_shape *s, const float *x, const float *fx,
                        const float *fy, float *y) {
    const int h = s->h, w = s->w, ho = s->ho, wo = s->wo;
    const long hu = (long)h * s->upy + s->pady0 + s->pady1;
    const long wu = (long)w * s->upx + s->padx0 + s->padx1;
    float *u = (float *)malloc(sizeof(float) * (size_t)(hu > 0 ? hu : 1) * (size_t)(wu > 0 ? wu : 1));
    for (int p = 0; p < s->planes; p++) {
        const float *xp = x + (size_t)p * h * w;
        // Upsampled (zeros inserted), padded / cropped signal.
        for (long j = 0; j < hu; j++)
            for (long i = 0; i < wu; i++) {
                const long qy = j - s->pady0, qx = i - s->padx0;
                float v = 0.0f;
                if (qy >= 0 && qy < (long)h * s->upy && qy % s->upy == 0 &&
                    qx >= 0 && qx < (long)w * s->upx && qx % s->upx == 0)
                    v = xp[(qy / s->upy) * w + qx / s->upx];
                u[j * wu + i] = v;
            }
        for (int oy = 0; oy < ho; oy++)
            for (int ox = 0; ox < wo; ox++) {
                double acc = 0.0;
                for (int ky = 0; ky < s->fh; ky++)
                    for (int kx = 0; kx < s->fw; kx++)
                        acc += (double)u[((long)oy * s->downy + ky) * wu + (long)ox * s->downx + kx] *
                               (double)fy[s->fh - 1 - ky] * (double)fx[s->fw - 1 - kx];
                y[((size_t)p * ho + oy) * wo + ox] = (float)acc;
            }
    }
    free(u);
}
#endif

// MARK: - Fast paths

// up 2 both axes, 2-tap filters, pads (1,0), down 1: y[2i+a][2j+b] = x[i][j] * fy[a] * fx[b].
static int is_up2(const ck_upfirdn_shape *s) {
    return s->upx == 2 && s->upy == 2 && s->downx == 1 && s->downy == 1 && s->fw == 2 && s->fh == 2 &&
           s->padx0 == 1 && s->padx1 == 0 && s->pady0 == 1 && s->pady1 == 0;
}

static void up2_fast(const ck_upfirdn_shape *s, const float *x, const float *fx, const float *fy, float *y) {
    const int h = s->h, w = s->w, wo = s->wo;
    const long rows = (long)s->planes * h;
    const float c00 = fy[0] * fx[0], c01 = fy[0] * fx[1], c10 = fy[1] * fx[0], c11 = fy[1] * fx[1];
#pragma omp parallel for schedule(static)
    for (long r = 0; r < rows; r++) {
        const float *xr = x + r * w;
        float *y0 = y + (2 * r) * (long)wo; // plane-major rows: (p*h + i) -> output rows 2(p*h+i), +1
        float *y1 = y0 + wo;
        for (int j = 0; j < w; j++) {
            const float v = xr[j];
            y0[2 * j] = v * c00;
            y0[2 * j + 1] = v * c01;
            y1[2 * j] = v * c10;
            y1[2 * j + 1] = v * c11;
        }
    }
}

// down 2 both axes, 2-tap filters, no padding, up 1: y[i][j] = sum_ab x[2i+a][2j+b] fy[1-a] fx[1-b].
static int is_down2(const ck_upfirdn_shape *s) {
    return s->upx == 1 && s->upy == 1 && s->downx == 2 && s->downy == 2 && s->fw == 2 && s->fh == 2 &&
           s->padx0 == 0 && s->padx1 == 0 && s->pady0 == 0 && s->pady1 == 0;
}

static void down2_fast(const ck_upfirdn_shape *s, const float *x, const float *fx, const float *fy, float *y) {
    const int h = s->h, w = s->w, ho = s->ho, wo = s->wo;
    const long rows = (long)s->planes * ho;
    const float c00 = fy[1] * fx[1], c01 = fy[1] * fx[0], c10 = fy[0] * fx[1], c11 = fy[0] * fx[0];
#pragma omp parallel for schedule(static)
    for (long r = 0; r < rows; r++) {
        const long p = r / ho, i = r % ho;
        const float *x0 = x + ((size_t)p * h + 2 * i) * w;
        const float *x1 = x0 + w;
        float *yr = y + r * wo;
        for (int j = 0; j < wo; j++)
            yr[j] = x0[2 * j] * c00 + x0[2 * j + 1] * c01 + x1[2 * j] * c10 + x1[2 * j + 1] * c11;
    }
}

// MARK: - General streamed path

void ck_upfirdn2d(const ck_upfirdn_shape *s, const float *x, const float *fx, const float *fy,
                  float *y, float *ws) {
    if (s->planes <= 0 || s->ho <= 0 || s->wo <= 0) return;
    if (s->fw > 64) { ck_upfirdn2d_naive(s, x, fx, fy, y); return; } // never in practice
    if (is_up2(s)) { up2_fast(s, x, fx, fy, y); return; }
    if (is_down2(s) && s->h >= 2 && s->w >= 2) { down2_fast(s, x, fx, fy, y); return; }

    const int h = s->h, w = s->w, ho = s->ho, wo = s->wo;
    const int upx = s->upx, upy = s->upy, dx = s->downx, dy = s->downy;
    const int fw = s->fw, fh = s->fh, px0 = s->padx0, py0 = s->pady0;
    const long lx = (long)line_len(s);
    const size_t slot = slot_floats(s);
    const size_t vlen = ck_round_up((size_t)w + 16, 16);
    const int rb = 8;                                   // output rows per work item
    const long nrb = (ho + rb - 1) / rb;
    const long items = (long)s->planes * nrb;
    float fxr[64];
    const int fwr = fw;
    for (int k = 0; k < fwr; k++) fxr[k] = fx[fw - 1 - k];
    // Direct vertical result into the line buffer when x needs neither zero insertion nor cropping.
    const int direct_line = (upx == 1 && px0 >= 0 && s->padx1 >= 0);

#pragma omp parallel num_threads(ck_scratch_threads())
    {
        float *vbuf = ws + (size_t)omp_get_thread_num() * slot;
        float *ubuf = vbuf + vlen;
        if (direct_line) {
            for (long i = 0; i < lx; i++) ubuf[i] = 0.0f; // pads stay zero
        }
        float *vdst = direct_line ? ubuf + px0 : vbuf;
#pragma omp for schedule(static)
        for (long it = 0; it < items; it++) {
            const long p = it / nrb;
            const int oy0 = (int)(it % nrb) * rb;
            const int oy1 = oy0 + rb < ho ? oy0 + rb : ho;
            const float *xp = x + (size_t)p * h * w;
            for (int oy = oy0; oy < oy1; oy++) {
                // Vertical taps.
                int first = 1;
                for (int ky = 0; ky < fh; ky++) {
                    const long q = (long)oy * dy + ky - py0;
                    if (q < 0 || q >= (long)h * upy || q % upy != 0) continue;
                    const float *xr = xp + (q / upy) * w;
                    const float c = fy[fh - 1 - ky];
                    if (first) {
                        for (int i = 0; i < w; i++) vdst[i] = c * xr[i];
                        first = 0;
                    } else {
                        for (int i = 0; i < w; i++) vdst[i] += c * xr[i];
                    }
                }
                if (first) for (int i = 0; i < w; i++) vdst[i] = 0.0f;
                // Zero insertion / padding / cropping along x.
                if (!direct_line) {
                    for (long i = 0; i < lx; i++) ubuf[i] = 0.0f;
                    for (int i = 0; i < w; i++) {
                        const long j = (long)i * upx + px0;
                        if (j >= 0 && j < lx) ubuf[j] = vbuf[i];
                    }
                }
                // Horizontal filter.
                float *yr = y + ((size_t)p * ho + oy) * wo;
                if (dx == 1) {
                    for (int o = 0; o < wo; o++) yr[o] = ubuf[o] * fxr[0];
                    for (int k = 1; k < fwr; k++) {
                        const float c = fxr[k];
                        const float *u = ubuf + k;
                        for (int o = 0; o < wo; o++) yr[o] += u[o] * c;
                    }
                } else {
                    for (int o = 0; o < wo; o++) {
                        const float *u = ubuf + (long)o * dx;
                        float acc = 0.0f;
                        for (int k = 0; k < fwr; k++) acc += u[k] * fxr[k];
                        yr[o] = acc;
                    }
                }
            }
        }
    }
}
