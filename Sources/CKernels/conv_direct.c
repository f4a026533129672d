// Direct register-blocked conv kernels for few channels at large spatial size, where a
// GEMM with M = 16..64 is poor (the plan in conv2d.c says when). Written once over the
// vector width CK_VW of ck_simd.h and compiled per level (ck_levels.h); the AVX2 level
// keeps its hand-scheduled tile.
//
// Forward: 4 output channels x DPV vectors of output pixels (24 with AVX2, 32 with AVX-512)
// of accumulators, loop over (cin, ky, kx) with broadcast weights. Each thread copies the input rows it needs into a zero-padded
// slab (stride phases de-interleaved, so every load is contiguous).
// Input gradient: for stride s it splits into s*s phases (output rows/columns with the
// same (i + pad) mod s); each phase is a stride-1 direct conv of gy with a transposed,
// flipped sub-kernel, written strided (stride 1: one phase, the whole transposed conv).
// Weight gradient: a register-blocked reduction over pixels (WG_CO output channels x
// WG_TAPS taps of CK_VW-lane accumulators) on the forward's slabs.
#include "ck_levels.h"
#include "conv_paths.h"
#include "ck_simd.h"

#include <string.h>

#define SLAB_BUDGET ((size_t)1 << 18)  // floats per thread for the direct kernel's input slab
#define DCO 4                          // direct kernel: output channels per block
#define DPV (CK_VW == 16 ? 2 : 3)      // direct kernel: vectors of output pixels per block
#define DPX (DPV * CK_VW)              // direct kernel: output pixels per block (24 with AVX2)

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

static direct_geom forward_geom(const ck_conv_shape *s) {
    direct_geom d = {s->n, s->cin, s->h, s->w, s->cout, s->kh, s->kw, s->stride, s->pad, s->pad,
                     s->ho, s->wo, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    direct_geom_finish(&d);
    return d;
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
// reduction over pixels (WG_CO output channels x WG_TAPS taps of CK_VW-lane accumulators).
#define WG_CO 2
#define WG_TAPS 6
#define WG_CHUNK 256   // pixels per pass over one row

static size_t wgrad_taps_pad(const direct_geom *d) {
    return ck_round_up((size_t)d->cin * d->kh * d->kw, WG_TAPS);
}
static size_t wgrad_gbuf_floats(const direct_geom *d) {
    return ck_round_up((size_t)d->cout, WG_CO) * d->rb * ck_round_up((size_t)d->wo, CK_VW);
}
static size_t wgrad_slot_floats(const direct_geom *d) {
    return d->slab + ck_round_up(wgrad_gbuf_floats(d), 16) +
           ck_round_up((size_t)d->cout, WG_CO) * wgrad_taps_pad(d) * CK_VW;
}

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
#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__) && CK_VW == 8
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
    // Constant-bound loops over register arrays: clang unrolls them and keeps acc in registers.
    ck_vf acc[DCO][DPV];
    for (int j = 0; j < DCO; j++)
        for (int v = 0; v < DPV; v++) acc[j][v] = vf_zero();
    for (int t = 0; t < ntaps; t++, wq += DCO) {
        const float *src = pbase + offs[t];
        ck_vf xv[DPV];
        for (int v = 0; v < DPV; v++) xv[v] = vf_load(src + v * CK_VW);
        for (int j = 0; j < DCO; j++) {
            const ck_vf bw = vf_set1(wq[j]);
            for (int v = 0; v < DPV; v++) acc[j][v] = vf_fma(bw, xv[v], acc[j][v]);
        }
    }
    for (int j = 0; j < DCO; j++)
        for (int v = 0; v < DPV; v++) vf_store(yo + j * ldo + v * CK_VW, acc[j][v]);
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
    const int st = d->st, ho = d->ho, wo = d->wo;
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
    const int wo8 = (int)ck_round_up((size_t)wo, CK_VW);   // wo in whole vectors
    const size_t phrow = (size_t)st * lp, chstride = (size_t)d->sr * phrow;
    const size_t slot = wgrad_slot_floats(d);
    const size_t gbufsz = ck_round_up(wgrad_gbuf_floats(d), 16);
    const size_t accsz = (size_t)copad * tpad * CK_VW;
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
        float *acc = gbuf + gbufsz;   // [copad][tpad][CK_VW]
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
                            float *A0 = acc + ((size_t)cp * tpad + tg) * CK_VW;
                            float *A1 = A0 + (size_t)tpad * CK_VW;
                            ck_vf a00 = vf_load(A0), a01 = vf_load(A0 + CK_VW);
                            ck_vf a02 = vf_load(A0 + 2 * CK_VW), a03 = vf_load(A0 + 3 * CK_VW);
                            ck_vf a04 = vf_load(A0 + 4 * CK_VW), a05 = vf_load(A0 + 5 * CK_VW);
                            ck_vf a10 = vf_load(A1), a11 = vf_load(A1 + CK_VW);
                            ck_vf a12 = vf_load(A1 + 2 * CK_VW), a13 = vf_load(A1 + 3 * CK_VW);
                            ck_vf a14 = vf_load(A1 + 4 * CK_VW), a15 = vf_load(A1 + 5 * CK_VW);
                            for (int q = 0; q < len; q += CK_VW) {
                                const ck_vf y0 = vf_load(g0 + q), y1 = vf_load(g1 + q);
                                ck_vf v = vf_load(x0 + q);
                                a00 = vf_fma(y0, v, a00);
                                a10 = vf_fma(y1, v, a10);
                                v = vf_load(x1 + q);
                                a01 = vf_fma(y0, v, a01);
                                a11 = vf_fma(y1, v, a11);
                                v = vf_load(x2 + q);
                                a02 = vf_fma(y0, v, a02);
                                a12 = vf_fma(y1, v, a12);
                                v = vf_load(x3 + q);
                                a03 = vf_fma(y0, v, a03);
                                a13 = vf_fma(y1, v, a13);
                                v = vf_load(x4 + q);
                                a04 = vf_fma(y0, v, a04);
                                a14 = vf_fma(y1, v, a14);
                                v = vf_load(x5 + q);
                                a05 = vf_fma(y0, v, a05);
                                a15 = vf_fma(y1, v, a15);
                            }
                            vf_store(A0, a00); vf_store(A0 + CK_VW, a01);
                            vf_store(A0 + 2 * CK_VW, a02); vf_store(A0 + 3 * CK_VW, a03);
                            vf_store(A0 + 4 * CK_VW, a04); vf_store(A0 + 5 * CK_VW, a05);
                            vf_store(A1, a10); vf_store(A1 + CK_VW, a11);
                            vf_store(A1 + 2 * CK_VW, a12); vf_store(A1 + 3 * CK_VW, a13);
                            vf_store(A1 + 4 * CK_VW, a14); vf_store(A1 + 5 * CK_VW, a15);
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
            const float *a = scratch + (size_t)th * slot + d->slab + gbufsz + ((size_t)co * tpad + t) * CK_VW;
            for (int l = 0; l < CK_VW; l++) sum += a[l];
        }
        gw[i] = (float)sum;
    }
}

// MARK: - Entry points (the plan has checked the shape: see ck_conv_plan)

size_t ck_conv_direct_workspace_floats(const ck_conv_shape *s, ck_conv_pass pass) {
    if (pass == CK_CONV_INPUT_GRAD) return input_grad_direct_ws(s);
    const direct_geom d = forward_geom(s);
    if (pass == CK_CONV_WEIGHT_GRAD) return (size_t)ck_scratch_slots() * wgrad_slot_floats(&d);
    return d.wpack + (size_t)ck_scratch_slots() * (d.slab + d.obuf);
}

void ck_conv_direct_forward(const ck_conv_shape *s, const float *x, const float *weight, float *y, float *ws) {
    direct_geom d = forward_geom(s);
    pack_direct_weights(&d, weight, ws);
    direct_conv(&d, x, ws, y, ws + d.wpack);
}

void ck_conv_direct_input_grad(const ck_conv_shape *s, const float *gy, const float *weight, float *gx,
                               float *ws) {
    const int st = s->stride;
    if (s->kh < st || s->kw < st) ck_conv_zero_floats(gx, (size_t)s->n * s->cin * s->h * s->w);  // phases without taps
    for (int ry = 0; ry < st; ry++)
        for (int rx = 0; rx < st; rx++) {
            direct_geom d;
            if (!input_grad_phase_geom(s, ry, rx, &d)) continue;
            pack_phase_weights(&d, weight, s, ry, rx, ws);
            direct_conv(&d, gy, ws, gx, ws + d.wpack);
        }
}

void ck_conv_direct_weight_grad(const ck_conv_shape *s, const float *x, const float *gy, float *gw, float *ws) {
    direct_geom d = forward_geom(s);
    direct_weight_grad(&d, x, gy, gw, ws);
}
