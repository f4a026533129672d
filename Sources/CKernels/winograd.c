// Winograd F(2x2, 3x3) for 3x3 / stride 1 / pad 1 convolutions.
//
// A conv x [n, C, H, W] -> y [n, K, H, W] is split into 2x2 output tiles; tile (ty, tx)
// reads the 4x4 input patch at rows 2ty-1.., columns 2tx-1.. of the zero-padded input.
//   V[e][c][t] = (Bᵀ d B)[e]        input transform (e = 4x4 element, t = tile)
//   U[e][k][c] = (G g Gᵀ)[e]        filter transform (every call: weights change)
//   M[e]       = U[e] · V[e]        16 GEMMs [K x C] x [C x tiles]
//   y tile     = Aᵀ m A             output transform, 2x2 block (cropped at odd H/W)
// This needs 16 multiplications per 2x2 outputs and input channel instead of 36.
// Tiles of all images are numbered together (image, tile row, tile column) so small
// maps still give wide GEMMs; they are processed in chunks of whole tile rows so the
// U, V and M buffers stay within about WINO_BUDGET floats.
//
// Input gradient (stride 1, pad 1, 3x3): the forward conv of gy with weights
// transposed over (out, in) and rotated 180 degrees; only the filter transform differs.
// Weight gradient: with Ĝy = A gy_t Aᵀ (4x4, per tile and output channel),
//   dU[e][k][c] = Σ_t Ĝy[e][k][t] V[e][c][t]   (16 GEMMs [K x tiles] x [tiles x C],
//   accumulated over chunks), gw[k][c] = Gᵀ dU[.][k][c] G.
// Output tiles do not overlap and gy is zero-extended over partial tiles, so this is the
// exact adjoint of the forward formulation.
//
// float32 accuracy: the F(2x2,3x3) transforms only use coefficients 0, ±1, ±1/2, so the
// rounding error is close to that of the direct sum: measured max error 3e-7..9e-7 of
// max |ref| against the float64-accumulated naive kernels on 64..512 channels, all three
// passes (WinogradTests). F(4x4,3x3) (points 0, ±1, ±2) measures ~1.1e-5 of max |ref| for
// 256 channels, over the 1e-5 budget of gradients, so training stays here and F(4x4,3x3)
// serves inference only (winograd4.c).
//
// Workspace (ck_conv2d_workspace_floats): U (16 cin cout floats: 4 MB at 256 channels,
// 16 MB at 512) + V + M (the rest of WINO_BUDGET, at least half of it) + per-thread row
// scratch: ~32 MB up to 512 channels.
//
// The transforms are written over the vector width CK_VW of ck_simd.h (8 with AVX2, 16 with
// AVX-512, 4 portable); ck_levels.h compiles this file once per level.
#include "ck_levels.h"
#include "winograd.h"
#include "ck_scratch.h"
#include "ck_simd.h"
#include "gemm_tile.h"

#include <string.h>

#ifndef WINO_BUDGET
#define WINO_BUDGET ((size_t)1 << 23)   // floats for U + V + M (32 MB) while U fits in half of it
#endif

#ifndef WINO_SPLIT_GEMM_MAX
#define WINO_SPLIT_GEMM_MAX 4e7   // multiply-adds per GEMM (K C tiles) below which the 16 run side by side
#endif

// MARK: - Planning

typedef struct {
    int n, C, K, H, W;   // conv x [n, C, H, W] -> y [n, K, H, W]
    int th, tw, twp;     // tile rows / columns per image; twp = tw rounded up to CK_VW
    long R;              // tile rows over the batch (n * th)
    long rc;             // tile rows per chunk
    size_t ldt;          // tiles per chunk (capacity, row stride of V and M)
    size_t u, v, m;      // floats of U, V, M (V and M padded for vector tail reads, up to 16 wide)
    size_t vs, ms;       // floats from one element e's plane of V (of M or Ĝy) to the next
    size_t tmp;          // per-thread scratch floats
} wplan;

static wplan make_plan(int n, int C, int K, int H, int W) {
    wplan p;
    memset(&p, 0, sizeof p);
    p.n = n; p.C = C; p.K = K; p.H = H; p.W = W;
    p.th = (H + 1) / 2;
    p.tw = (W + 1) / 2;
    p.twp = (int)ck_round_up((size_t)p.tw, CK_VW);
    p.R = (long)n * p.th;
    // U, V and M together stay within WINO_BUDGET floats (V + M get at least half of it).
    size_t vm = WINO_BUDGET > (size_t)16 * K * C ? WINO_BUDGET - (size_t)16 * K * C : 0;
    if (vm < WINO_BUDGET / 2) vm = WINO_BUDGET / 2;
    long tc = (long)(vm / (16 * ((size_t)C + (size_t)K)));
    long rc = tc / p.tw;
    if (rc < 1) rc = 1;
    if (rc > p.R) rc = p.R;
    const long nch = (p.R + rc - 1) / rc;
    rc = (p.R + nch - 1) / nch;
    p.rc = rc;
    p.ldt = (size_t)rc * p.tw;
    p.u = ck_round_up((size_t)16 * K * C, 16);
    // One cache line more than a plane: the transforms touch all 16 planes at once, and
    // planes a power of two apart would share an L1 set (measured with F(4x4, 3x3): its
    // convs 15-20 % faster with this padding).
    p.vs = ck_round_up((size_t)C * p.ldt, 16) + 16;
    p.ms = ck_round_up((size_t)K * p.ldt, 16) + 16;
    p.v = 16 * p.vs + 16;
    p.m = 16 * p.ms + 16;
    // Input transform: E, O [4][twp + 8] each + out [16][twp]; output transform:
    // two output rows of 2 * twp. 40 * (twp + 8) covers both (sized for the widest level,
    // 16, so the workspace does not depend on the level).
    p.tmp = ck_round_up((size_t)40 * (ck_round_up((size_t)p.tw, 16) + 8), 16);
    return p;
}

static size_t plan_ws(const wplan *p) {
    return p->u + p->v + p->m + (size_t)ck_scratch_slots() * p->tmp;
}

static wplan plan_for(const ck_conv_shape *s, ck_conv_pass pass) {
    // Forward and weight grad: x [n, cin] -> y [n, cout]. Input grad: gy [n, cout] -> gx [n, cin].
    if (pass == CK_CONV_INPUT_GRAD) return make_plan(s->n, s->cout, s->cin, s->h, s->w);
    return make_plan(s->n, s->cin, s->cout, s->h, s->w);
}

size_t ck_wino_workspace_floats(const ck_conv_shape *s, ck_conv_pass pass) {
    wplan p = plan_for(s, pass);
    return plan_ws(&p);
}

// MARK: - Filter transform

// U[e][k][c] = (G g Gᵀ)[e] for g = weight[k][c] (flip = 0; weight [K][C][3][3]) or
// g = rot180(weight[c][k]) (flip = 1; weight [C][K][3][3], the input gradient).
static void filter_transform(const wplan *p, const float *weight, int flip, float *U) {
    const int C = p->C, K = p->K;
    const size_t KC = (size_t)K * C;
    const int cb = (C + CK_VW - 1) / CK_VW;   // blocks of CK_VW consecutive input channels
    const long jobs = (long)K * cb;
    // Element stride between consecutive c of the same tap: 9 (weight [K][C][3][3]) or
    // 9 K (flip: weight [C][K][3][3]).
    const int cstride = flip ? 9 * K : 9;
    const ck_vf half = vf_set1(0.5f);
#pragma omp parallel for schedule(static)
    for (long j = 0; j < jobs; j++) {
        const int k = (int)(j / cb), c0 = (int)(j % cb) * CK_VW;
        const int nc = C - c0 < CK_VW ? C - c0 : CK_VW;
        const float *base = flip ? weight + ((size_t)c0 * K + k) * 9 : weight + ((size_t)k * C + c0) * 9;
        ck_vf g[9];
        {
            float tmp[9][CK_VW];
            for (int i = 0; i < 9; i++)
                for (int l = 0; l < CK_VW; l++) tmp[i][l] = l < nc ? base[(size_t)l * cstride + (flip ? 8 - i : i)] : 0.0f;
            for (int i = 0; i < 9; i++) g[i] = vf_load(tmp[i]);
        }
        // t = G g (4x3), then u = t Gᵀ (4x4).
        ck_vf t[4][3];
        for (int b = 0; b < 3; b++) {
            const ck_vf g0 = g[b], g1 = g[3 + b], g2 = g[6 + b];
            const ck_vf s02 = vf_add(g0, g2);
            t[0][b] = g0;
            t[1][b] = vf_mul(half, vf_add(s02, g1));
            t[2][b] = vf_mul(half, vf_sub(s02, g1));
            t[3][b] = g2;
        }
        float *u = U + (size_t)k * C + c0;
        for (int a = 0; a < 4; a++) {
            const ck_vf t0 = t[a][0], t1 = t[a][1], t2 = t[a][2];
            const ck_vf s02 = vf_add(t0, t2);
            ck_vf r[4];
            r[0] = t0;
            r[1] = vf_mul(half, vf_add(s02, t1));
            r[2] = vf_mul(half, vf_sub(s02, t1));
            r[3] = t2;
            for (int q = 0; q < 4; q++) vf_store_n(u + (size_t)(a * 4 + q) * KC, r[q], nc);
        }
    }
}

// gw[k][c] = Gᵀ dU[.][k][c] G (3x3) from dU [16][K][C].
static void filter_grad_transform(const wplan *p, const float *dU, float *gw) {
    const int C = p->C, K = p->K;
    const size_t KC = (size_t)K * C;
    const long jobs = (long)K * C;
#pragma omp parallel for schedule(static)
    for (long j = 0; j < jobs; j++) {
        float m[16];
        for (int e = 0; e < 16; e++) m[e] = dU[(size_t)e * KC + (size_t)j];
        // Gᵀ = [[1, .5, .5, 0], [0, .5, -.5, 0], [0, .5, .5, 1]]: t = Gᵀ m (3x4), gw = t G (3x3).
        float t[3][4];
        for (int b = 0; b < 4; b++) {
            const float m0 = m[b], m1 = m[4 + b], m2 = m[8 + b], m3 = m[12 + b];
            t[0][b] = m0 + 0.5f * (m1 + m2);
            t[1][b] = 0.5f * (m1 - m2);
            t[2][b] = 0.5f * (m1 + m2) + m3;
        }
        float *o = gw + (size_t)j * 9;
        for (int a = 0; a < 3; a++) {
            const float t0 = t[a][0], t1 = t[a][1], t2 = t[a][2], t3 = t[a][3];
            o[a * 3 + 0] = t0 + 0.5f * (t1 + t2);
            o[a * 3 + 1] = 0.5f * (t1 - t2);
            o[a * 3 + 2] = 0.5f * (t1 + t2) + t3;
        }
    }
}

// MARK: - Input transform

// V[e][c][(r - r0) * tw + tx] = (Bᵀ d B)[e] for tile rows r in [r0, r0 + nr).
static void input_transform(const wplan *p, const float *x, long r0, long nr, float *V, float *scratch) {
    const int C = p->C, H = p->H, W = p->W, th = p->th, tw = p->tw, twp = p->twp;
    const size_t ldt = p->ldt, es = p->vs;
    const int ls = twp + 8;
    const long jobs = (long)C * nr;
#pragma omp parallel num_threads(ck_scratch_threads())
    {
        float *E = scratch + (size_t)omp_get_thread_num() * p->tmp;
        float *O = E + 4 * ls;
        float *out = O + 4 * ls;
#pragma omp for schedule(static)
        for (long j = 0; j < jobs; j++) {
            const int c = (int)(j / nr);
            const long rr = j % nr, r = r0 + rr;
            const int b = (int)(r / th), ty = (int)(r % th);
            const float *plane = x + ((size_t)b * C + c) * H * W;
            // Padded column q = ix + 1: E[k] = padded[2k] = row[2k - 1], O[k] = row[2k].
            for (int i = 0; i < 4; i++) {
                const int iy = 2 * ty - 1 + i;
                float *e = E + i * ls, *o = O + i * ls;
                if (iy < 0 || iy >= H) {
                    memset(e, 0, sizeof(float) * ls);
                    memset(o, 0, sizeof(float) * ls);
                    continue;
                }
                const float *row = plane + (size_t)iy * W;
                e[0] = 0.0f;
                int k = 0;
                // CK_VW pairs at a time: evens of row[2k..2k+2VW-1] -> o[k..], odds -> e[k+1..].
                for (; 2 * k + 2 * CK_VW - 1 < W; k += CK_VW) {
                    const ck_vf a = vf_load(row + 2 * k), bq = vf_load(row + 2 * k + CK_VW);
                    vf_store(o + k, vf_even(a, bq));
                    vf_store(e + k + 1, vf_odd(a, bq));
                }
                // Remaining full pairs: 2k < W and 2k + 1 < W.
                for (; 2 * k + 1 < W; k++) {
                    o[k] = row[2 * k];
                    e[k + 1] = row[2 * k + 1];
                }
                if (2 * k < W) { o[k] = row[2 * k]; k++; e[k] = 0.0f; o[k] = 0.0f; }
                else { o[k] = 0.0f; }
                for (int q = k + 1; q < ls; q++) { e[q] = 0.0f; o[q] = 0.0f; }
            }
            for (int tx = 0; tx < twp; tx += CK_VW) {
                ck_vf d[4][4];
                for (int i = 0; i < 4; i++) {
                    d[i][0] = vf_load(E + i * ls + tx);
                    d[i][1] = vf_load(O + i * ls + tx);
                    d[i][2] = vf_load(E + i * ls + tx + 1);
                    d[i][3] = vf_load(O + i * ls + tx + 1);
                }
                ck_vf u[4][4];
                for (int q = 0; q < 4; q++) {
                    u[0][q] = vf_sub(d[0][q], d[2][q]);
                    u[1][q] = vf_add(d[1][q], d[2][q]);
                    u[2][q] = vf_sub(d[2][q], d[1][q]);
                    u[3][q] = vf_sub(d[1][q], d[3][q]);
                }
                for (int i = 0; i < 4; i++) {
                    vf_store(out + (i * 4 + 0) * twp + tx, vf_sub(u[i][0], u[i][2]));
                    vf_store(out + (i * 4 + 1) * twp + tx, vf_add(u[i][1], u[i][2]));
                    vf_store(out + (i * 4 + 2) * twp + tx, vf_sub(u[i][2], u[i][1]));
                    vf_store(out + (i * 4 + 3) * twp + tx, vf_sub(u[i][1], u[i][3]));
                }
            }
            float *dst = V + (size_t)c * ldt + (size_t)rr * tw;
            for (int e = 0; e < 16; e++) memcpy(dst + (size_t)e * es, out + e * twp, sizeof(float) * tw);
        }
    }
}

// Ĝy[e][k][(r - r0) * tw + tx] = (A g Aᵀ)[e] for the 2x2 gy block g of each tile
// (zero outside the map). A = [[1, 0], [1, 1], [1, -1], [0, -1]].
static void grad_output_transform(const wplan *p, const float *gy, long r0, long nr, float *G, float *scratch) {
    const int K = p->K, H = p->H, W = p->W, th = p->th, tw = p->tw, twp = p->twp;
    const size_t ldt = p->ldt, es = p->ms;
    const int ls = twp + 8;
    const long jobs = (long)K * nr;
#pragma omp parallel num_threads(ck_scratch_threads())
    {
        float *E = scratch + (size_t)omp_get_thread_num() * p->tmp;
        float *O = E + 2 * ls;
        float *out = O + 2 * ls;
#pragma omp for schedule(static)
        for (long j = 0; j < jobs; j++) {
            const int k = (int)(j / nr);
            const long rr = j % nr, r = r0 + rr;
            const int b = (int)(r / th), ty = (int)(r % th);
            const float *plane = gy + ((size_t)b * K + k) * H * W;
            for (int i = 0; i < 2; i++) {
                const int iy = 2 * ty + i;
                float *e = E + i * ls, *o = O + i * ls;
                if (iy >= H) {
                    memset(e, 0, sizeof(float) * ls);
                    memset(o, 0, sizeof(float) * ls);
                    continue;
                }
                const float *row = plane + (size_t)iy * W;
                int q = 0;
                for (; 2 * q + 1 < W; q++) { e[q] = row[2 * q]; o[q] = row[2 * q + 1]; }
                if (2 * q < W) { e[q] = row[2 * q]; o[q] = 0.0f; q++; }
                for (; q < ls; q++) { e[q] = 0.0f; o[q] = 0.0f; }
            }
            for (int tx = 0; tx < twp; tx += CK_VW) {
                const ck_vf g00 = vf_load(E + tx), g01 = vf_load(O + tx);
                const ck_vf g10 = vf_load(E + ls + tx), g11 = vf_load(O + ls + tx);
                // t = A g (4x2)
                ck_vf t[4][2];
                t[0][0] = g00; t[0][1] = g01;
                t[1][0] = vf_add(g00, g10); t[1][1] = vf_add(g01, g11);
                t[2][0] = vf_sub(g00, g10); t[2][1] = vf_sub(g01, g11);
                t[3][0] = g10; t[3][1] = g11;   // sign applied below: row 3 of A is (0, -1)
                for (int i = 0; i < 4; i++) {
                    ck_vf a = t[i][0], bb = t[i][1];
                    if (i == 3) { a = vf_sub(vf_zero(), a); bb = vf_sub(vf_zero(), bb); }
                    vf_store(out + (i * 4 + 0) * twp + tx, a);
                    vf_store(out + (i * 4 + 1) * twp + tx, vf_add(a, bb));
                    vf_store(out + (i * 4 + 2) * twp + tx, vf_sub(a, bb));
                    vf_store(out + (i * 4 + 3) * twp + tx, vf_sub(vf_zero(), bb));
                }
            }
            float *dst = G + (size_t)k * ldt + (size_t)rr * tw;
            for (int e = 0; e < 16; e++) memcpy(dst + (size_t)e * es, out + e * twp, sizeof(float) * tw);
        }
    }
}

// MARK: - Output transform

// y[b][k][2ty + i][2tx + j] = (Aᵀ m A)[i][j], m = M[.][k][tile], cropped to H x W.
static void output_transform(const wplan *p, const float *M, long r0, long nr, float *y, float *scratch) {
    const int K = p->K, H = p->H, W = p->W, th = p->th, tw = p->tw, twp = p->twp;
    const size_t ldt = p->ldt, es = p->ms;
    const long jobs = (long)K * nr;
#pragma omp parallel num_threads(ck_scratch_threads())
    {
        float *row0 = scratch + (size_t)omp_get_thread_num() * p->tmp;
        float *row1 = row0 + 2 * twp;
#pragma omp for schedule(static)
        for (long j = 0; j < jobs; j++) {
            const int k = (int)(j / nr);
            const long rr = j % nr, r = r0 + rr;
            const int b = (int)(r / th), ty = (int)(r % th);
            const float *src = M + (size_t)k * ldt + (size_t)rr * tw;
            for (int tx = 0; tx < twp; tx += CK_VW) {
                ck_vf s0[4], s1[4];
                for (int q = 0; q < 4; q++) {
                    const ck_vf m0 = vf_load(src + (size_t)(0 + q) * es + tx);
                    const ck_vf m1 = vf_load(src + (size_t)(4 + q) * es + tx);
                    const ck_vf m2 = vf_load(src + (size_t)(8 + q) * es + tx);
                    const ck_vf m3 = vf_load(src + (size_t)(12 + q) * es + tx);
                    s0[q] = vf_add(vf_add(m0, m1), m2);
                    s1[q] = vf_sub(vf_sub(m1, m2), m3);
                }
                const ck_vf y00 = vf_add(vf_add(s0[0], s0[1]), s0[2]);
                const ck_vf y01 = vf_sub(vf_sub(s0[1], s0[2]), s0[3]);
                const ck_vf y10 = vf_add(vf_add(s1[0], s1[1]), s1[2]);
                const ck_vf y11 = vf_sub(vf_sub(s1[1], s1[2]), s1[3]);
                vf_store(row0 + 2 * tx, vf_ziplo(y00, y01));
                vf_store(row0 + 2 * tx + CK_VW, vf_ziphi(y00, y01));
                vf_store(row1 + 2 * tx, vf_ziplo(y10, y11));
                vf_store(row1 + 2 * tx + CK_VW, vf_ziphi(y10, y11));
            }
            float *plane = y + ((size_t)b * K + k) * H * W;
            memcpy(plane + (size_t)(2 * ty) * W, row0, sizeof(float) * W);
            if (2 * ty + 1 < H) memcpy(plane + (size_t)(2 * ty + 1) * W, row1, sizeof(float) * W);
        }
    }
}

// MARK: - Drivers

// y [n, K, H, W] = conv3x3(x [n, C, H, W]) with U already transformed at ws.
static void wino_conv(const wplan *p, const float *x, float *y, float *ws) {
    float *U = ws, *V = U + p->u, *M = V + p->v, *scratch = M + p->m;
    const int C = p->C, K = p->K;
    const size_t ldt = p->ldt;
    for (long r0 = 0; r0 < p->R; r0 += p->rc) {
        const long nr = r0 + p->rc <= p->R ? p->rc : p->R - r0;
        const int nt = (int)(nr * p->tw);
        input_transform(p, x, r0, nr, V, scratch);
        // Small GEMMs (the 64..128-channel layers of small models, e.g. [64 x 128] x
        // [128 x 1024 tiles]): the 16 run side by side, one whole GEMM per thread, instead
        // of OpenBLAS splitting each (a fork/join and a re-packing per GEMM per thread;
        // measured 1.5x faster on 2 threads for the bundled 64² model), on the in-place
        // micro-kernel (gemm_tile.h, which packs nothing) where it pays, else on a
        // one-thread OpenBLAS each; either way the values do not depend on the thread
        // count. Large GEMMs go through OpenBLAS, threaded inside.
        if ((double)K * C * nt < WINO_SPLIT_GEMM_MAX) {
#pragma omp parallel for schedule(static)
            for (int e = 0; e < 16; e++)
                gemm_one_thread(K, nt, C, U + (size_t)e * K * C, C, V + (size_t)e * p->vs, ldt, M + (size_t)e * p->ms, ldt);
        } else {
            for (int e = 0; e < 16; e++)
                ck_sgemm(0, 0, K, nt, C, 1.0f, U + (size_t)e * K * C, C, V + (size_t)e * p->vs, (int)ldt, 0.0f,
                         M + (size_t)e * p->ms, (int)ldt);
        }
        output_transform(p, M, r0, nr, y, scratch);
    }
}

void ck_wino_forward(const ck_conv_shape *s, const float *x, const float *weight, float *y, float *ws) {
    wplan p = plan_for(s, CK_CONV_FORWARD);
    filter_transform(&p, weight, 0, ws);
    wino_conv(&p, x, y, ws);
}

void ck_wino_input_grad(const ck_conv_shape *s, const float *gy, const float *weight, float *gx, float *ws) {
    wplan p = plan_for(s, CK_CONV_INPUT_GRAD);
    filter_transform(&p, weight, 1, ws);
    wino_conv(&p, gy, gx, ws);
}

void ck_wino_weight_grad(const ck_conv_shape *s, const float *x, const float *gy, float *gw, float *ws) {
    wplan p = plan_for(s, CK_CONV_WEIGHT_GRAD);
    float *dU = ws, *V = dU + p.u, *G = V + p.v, *scratch = G + p.m;
    const int C = p.C, K = p.K;
    const size_t ldt = p.ldt;
    float beta = 0.0f;
    for (long r0 = 0; r0 < p.R; r0 += p.rc) {
        const long nr = r0 + p.rc <= p.R ? p.rc : p.R - r0;
        const int nt = (int)(nr * p.tw);
        input_transform(&p, x, r0, nr, V, scratch);
        grad_output_transform(&p, gy, r0, nr, G, scratch);
        for (int e = 0; e < 16; e++)
            ck_sgemm(0, 1, K, C, nt, 1.0f, G + (size_t)e * p.ms, (int)ldt, V + (size_t)e * p.vs, (int)ldt,
                     beta, dU + (size_t)e * K * C, C);
        beta = 1.0f;
    }
    filter_grad_transform(&p, dU, gw);
}
