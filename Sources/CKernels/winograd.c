// Winograd F(4x4, 3x3) for 3x3 / stride 1 / pad 1 convolutions: the forward pass (training
// and inference), the input gradient and the weight gradient.
//
// A conv x [n, C, H, W] -> y [n, K, H, W] is split into 4x4 output tiles; tile (ty, tx)
// reads the 6x6 patch at rows 4ty-1.., columns 4tx-1.. of the zero-padded input. With
// Lavin's points 0, ±1, ±2:
//   V[e][c][t] = (Bᵀ d B)[e]        input transform (e = 6x6 element, t = tile)
//   U[e][k][c] = (G g Gᵀ)[e]        filter transform (every call, unless the caller keeps it)
//   M[e]       = U[e] · V[e]        36 GEMMs [K x C] x [C x tiles]
//   y tile     = Aᵀ m A             output transform, 4x4 block (cropped at the edges)
// 36 multiplications per 4x4 outputs and input channel instead of 144 (F(2x2, 3x3): 64).
// Tiles of all images are numbered together (image, tile row, tile column) so small maps
// still give wide GEMMs; they are processed in chunks of whole tile rows so U, V and M
// stay within about WINO_BUDGET floats (WINO_SMALL_BUDGET for filters up to 128 x 128).
//
// Input gradient (stride 1, pad 1): gx is the forward conv of gy [n, K, H, W] with the
// weight transposed over (out, in) and rotated by 180 degrees; only the filter transform
// reads the weight differently (`transpose`), the plan is that of the swapped shape.
// Weight gradient: with Ĝy = A gy_t Aᵀ (6x6, per tile and output channel),
//   dU[e][k][c] = Σ_t Ĝy[e][k][t] V[e][c][t]   (36 GEMMs [K x tiles] x [tiles x C],
//   accumulated over chunks), gw[k][c] = Gᵀ dU[.][k][c] G.
// Output tiles do not overlap and gy is zero-extended over partial tiles, so this is the
// exact adjoint of the forward.
//
// Upsampling (inference): with `upsample` set, x is [n, C, H/2, W/2] and the conv reads it
// through nearest-neighbour 2x upsampling (row iy of the virtual input is x's row iy/2).
// The official fused upscale conv (a transposed 4x4 conv whose kernel is the 3x3 one w
// summed over 2x2 shifts) is exactly this composition with w rotated by 180 degrees
// (`rot180`): per axis, output 2i+a of the transposed conv weighs x[i-1], x[i], x[i+1] by
// sums of taps of w in the opposite order to the correlation's. So it costs 9/4 of a plain
// conv's multiplications per input pixel here instead of 16, and the upsampled map never
// exists.
//
// float32 accuracy: the transforms use coefficients up to 5 (Bᵀ) and 8 (Aᵀ) and 1/24 (G),
// so rounding grows: about 1e-5 of max |ref| at 256 channels for all three passes
// (WinogradTests prints the measured error), ten times F(2x2, 3x3)'s (which this file held
// for training until F(4x4, 3x3) measured 1.3-2x faster on every training pass) and an
// order of magnitude inside the 1e-4 bound of every conv test. cuDNN's Winograd algorithms,
// which the official code's GPU training may pick, make the same trade; README's deviation
// note says so.
//
// Workspace: U (36 cin cout floats, or 36 kc cin for filters transformed kc output channels
// at a time in the forward passes) + V + M (Ĝy for the weight gradient) in chunks of whole
// tile rows (at least WINO_BUDGET / 2 floats) + per-thread row scratch.
#include "ck_levels.h"
#include "winograd.h"
#include "ck_scratch.h"
#include "ck_simd.h"
#include "gemm_tile.h"

#include <string.h>

#ifndef WINO_BUDGET
#define WINO_BUDGET ((size_t)1 << 23)   // floats for U + V + M while U fits in half of it
#endif

// Filters of at most WINO_SMALL_FILTER cin cout take their chunks within WINO_SMALL_BUDGET
// instead: their products run on the in-place micro-kernel, which reads V and writes M
// where the transforms left them, so chunks that stay in cache pay more than wide
// products. Measured on the EPYC (one thread, batch 8, the faces64 run's shapes; all three
// passes, alternated): 64 -> 64 @64² 65-77 -> 38-53 ms, 64 -> 128 @64² 97-119 -> 67-89 ms,
// 128 @32² 48-54 -> 38-41 ms, 128 @16² unchanged; batch 1 (serve), two threads: 128 -> 64
// up-conv @64² 1.6-1.9 -> 1.3-1.5 ms, the others unchanged. Larger filters keep
// WINO_BUDGET: their wide products go to OpenBLAS, for which 2^20 measured 1.2-1.7x slower
// (256 @32² and @64² batch 16).
#ifndef WINO_SMALL_BUDGET
#define WINO_SMALL_BUDGET ((size_t)1 << 20)
#endif

#ifndef WINO_SMALL_FILTER
#define WINO_SMALL_FILTER (128 * 128)
#endif

#ifndef WINO_U_CHUNK
#define WINO_U_CHUNK ((size_t)1 << 20)   // floats of transformed filter per output-channel chunk
#endif

#ifndef WINO_SPLIT_GEMM_MAX
#define WINO_SPLIT_GEMM_MAX 4e7   // multiply-adds per GEMM below which the 36 run side by side
#endif

typedef struct {
    int n, C, K, H, W;   // y [n, K, H, W]; x [n, C, H, W], or [n, C, H/2, W/2] when up
    int up;
    int hin, win;        // x's plane
    int th, tw, twp;     // tile rows / columns per image; twp = tw rounded up to CK_VW
    long R, rc;          // tile rows over the batch, tile rows per chunk
    int kc;              // output channels per filter chunk (K: the filter is transformed whole)
    size_t ldt;          // tiles per chunk (row stride of V and M)
    size_t u, v, m, tmp; // floats of U, V, M and of one thread's scratch
    size_t vs, ms;       // floats from one element e's plane of V (of M) to the next
    int ls;              // scratch row stride (>= twp + 1 vector)
} wplan;

// filter_chunks: the filter may be transformed in output-channel chunks (the forward passes;
// the weight gradient accumulates the whole dU over tile chunks).
static wplan make_plan(const ck_conv_shape *s, int up, int filter_chunks) {
    wplan p;
    memset(&p, 0, sizeof p);
    p.n = s->n; p.C = s->cin; p.K = s->cout; p.H = s->h; p.W = s->w;
    p.up = up;
    p.hin = up ? s->h / 2 : s->h;
    p.win = up ? s->w / 2 : s->w;
    p.th = (p.H + 3) / 4;
    p.tw = (p.W + 3) / 4;
    p.twp = (int)ck_round_up((size_t)p.tw, CK_VW);
    p.R = (long)p.n * p.th;
    const size_t KC = (size_t)p.K * p.C;
    // Few tiles, large filter (512 channels at batch 1): when all tiles fit one chunk, the
    // filter is transformed and multiplied kc output channels at a time, so each part of U
    // is used while it is in cache and the workspace holds 4 MiB of it instead of 36 cout
    // cin floats (37.7 MB at 512 x 512).
    p.kc = p.K;
    if (filter_chunks && 36 * KC > WINO_U_CHUNK) {
        int kc = (int)(WINO_U_CHUNK / (36 * (size_t)p.C)) / 16 * 16;
        if (kc < 16) kc = 16;
        const size_t need = 36 * (size_t)kc * p.C + 36 * ((size_t)p.C + (size_t)kc) * (size_t)p.R * p.tw;
        if (kc < p.K && need <= WINO_BUDGET) p.kc = kc;
    }
    if (p.kc < p.K) {
        p.rc = p.R;
    } else {
        const size_t budget = KC <= WINO_SMALL_FILTER ? WINO_SMALL_BUDGET : WINO_BUDGET;
        size_t vm = budget > 36 * KC ? budget - 36 * KC : 0;
        if (vm < budget / 2) vm = budget / 2;
        long rc = (long)(vm / (36 * ((size_t)p.C + (size_t)p.K))) / p.tw;
        if (rc < 1) rc = 1;
        if (rc > p.R) rc = p.R;
        const long nch = (p.R + rc - 1) / rc;
        p.rc = (p.R + nch - 1) / nch;
    }
    p.ldt = (size_t)p.rc * p.tw;
    p.u = ck_round_up(36 * (size_t)p.kc * p.C, 16);
    // One cache line more than a plane: the transforms touch all 36 planes at once, and
    // planes a power of two apart (C ldt = 2^15 at 64² batch 1) would share an L1 set
    // (measured: the F(4x4, 3x3) convs 15-20 % faster with it).
    p.vs = ck_round_up((size_t)p.C * p.ldt, 16) + 16;
    p.ms = ck_round_up((size_t)p.kc * p.ldt, 16) + 16;
    p.v = 36 * p.vs + 16;
    p.m = 36 * p.ms + 16;
    // Sized for the widest level (16) so the workspace does not depend on the level:
    // input transform 6 rows x 4 phases + 36 output rows; gy transform 4 rows x 4 phases +
    // 36 output rows; output transform 4 x 4 rows of twp + 4 rows of 4 twp.
    p.ls = (int)ck_round_up((size_t)p.tw, 16) + 32;
    p.tmp = ck_round_up((size_t)(24 + 36) * p.ls, 16);
    return p;
}

// The input gradient's conv: gy [n, cout, h, w] -> gx [n, cin, h, w] (stride 1, pad 1 keep h, w).
static ck_conv_shape swapped(const ck_conv_shape *s) {
    ck_conv_shape t = *s;
    t.cin = s->cout;
    t.cout = s->cin;
    return t;
}

size_t ck_wino_workspace_floats(const ck_conv_shape *s, ck_conv_pass pass) {
    const ck_conv_shape t = pass == CK_CONV_INPUT_GRAD ? swapped(s) : *s;
    wplan p = make_plan(&t, 0, pass != CK_CONV_WEIGHT_GRAD);
    return p.u + p.v + p.m + (size_t)ck_scratch_slots() * p.tmp;
}

// MARK: - Filter transform

// U[e][k][c] = (G g Gᵀ)[e] for g = weight[k][c] (weight [K][C][3][3]; transpose: g =
// weight[c][k], weight [C][K][3][3]), taps reversed with rot180, with
// G = [[1/4, 0, 0], [-1/6, -1/6, -1/6], [-1/6, 1/6, -1/6], [1/24, 1/12, 1/6],
//      [1/24, -1/12, 1/6], [0, 0, 1]].
static void g_rows(const ck_vf g0, const ck_vf g1, const ck_vf g2, ck_vf r[6]) {
    const ck_vf s02 = g0 + g2;
    r[0] = g0 * vf_set1(0.25f);
    r[1] = (s02 + g1) * vf_set1(-1.0f / 6.0f);
    r[2] = (s02 - g1) * vf_set1(-1.0f / 6.0f);
    const ck_vf a = g0 * vf_set1(1.0f / 24.0f) + g2 * vf_set1(1.0f / 6.0f), b = g1 * vf_set1(1.0f / 12.0f);
    r[3] = a + b;
    r[4] = a - b;
    r[5] = g2;
}

// U holds output channels k0..k1-1: U[e][k - k0][c], planes (k1 - k0) C apart.
static void filter_transform(const wplan *p, const float *weight, int rot180, int transpose, float *U, int k0,
                             int k1) {
    const int C = p->C, K = p->K;
    const size_t KC = (size_t)(k1 - k0) * C;
    const int cb = (C + CK_VW - 1) / CK_VW;
    const long jobs = (long)(k1 - k0) * cb;
#pragma omp parallel for schedule(static)
    for (long j = 0; j < jobs; j++) {
        const int k = k0 + (int)(j / cb), c0 = (int)(j % cb) * CK_VW;
        const int nc = C - c0 < CK_VW ? C - c0 : CK_VW;
        // Floats between the taps of consecutive c: 9, or 9 K transposed.
        const size_t cstride = transpose ? 9 * (size_t)K : 9;
        const float *base = transpose ? weight + ((size_t)c0 * K + k) * 9 : weight + ((size_t)k * C + c0) * 9;
        ck_vf g[9];   // tap i of the nc filters, lane by lane
        if (nc == CK_VW && cstride < ((size_t)1 << 26)) {
            for (int i = 0; i < 9; i++) g[i] = vf_gather(base + (rot180 ? 8 - i : i), (long)cstride);
        } else {
            float tmp[9][CK_VW];
            for (int i = 0; i < 9; i++)
                for (int l = 0; l < CK_VW; l++) tmp[i][l] = l < nc ? base[(size_t)l * cstride + (rot180 ? 8 - i : i)] : 0.0f;
            for (int i = 0; i < 9; i++) g[i] = vf_load(tmp[i]);
        }
        ck_vf t[6][3];   // t = G g (6x3)
        for (int b = 0; b < 3; b++) {
            ck_vf r[6];
            g_rows(g[b], g[3 + b], g[6 + b], r);
            for (int a = 0; a < 6; a++) t[a][b] = r[a];
        }
        float *u = U + (size_t)(k - k0) * C + c0;
        for (int a = 0; a < 6; a++) {
            ck_vf r[6];   // row a of t Gᵀ
            g_rows(t[a][0], t[a][1], t[a][2], r);
            for (int q = 0; q < 6; q++) vf_store_n(u + (size_t)(a * 6 + q) * KC, r[q], nc);
        }
    }
}

// MARK: - Input transform

// Bᵀ z for z = (z0..z5): rows [4 0 -5 0 1 0], [0 -4 -4 1 1 0], [0 4 -4 -1 1 0],
// [0 -2 -1 2 1 0], [0 2 -1 -2 1 0], [0 4 0 -5 0 1].
static inline void bt_rows(const ck_vf z[6], ck_vf r[6]) {
    const ck_vf four = vf_set1(4.0f), five = vf_set1(5.0f), two = vf_set1(2.0f);
    const ck_vf s1 = z[4] - four * z[2], s2 = z[3] - four * z[1];
    const ck_vf s3 = z[4] - z[2], s4 = two * (z[3] - z[1]);
    r[0] = four * z[0] - five * z[2] + z[4];
    r[1] = s1 + s2;
    r[2] = s1 - s2;
    r[3] = s3 + s4;
    r[4] = s3 - s4;
    r[5] = four * z[1] - five * z[3] + z[5];
}

// P[r][t] = pad[4t + r] for t < n, r < 4 (rows of P ls floats apart): a 4-way deinterleave,
// a vector of each phase from four vectors of pad (evens of evens = phase 0, ...).
static void split_phases(const float *pad, int n, float *P, int ls) {
    float *P0 = P, *P1 = P + ls, *P2 = P + 2 * (size_t)ls, *P3 = P + 3 * (size_t)ls;
    int t = 0;
    for (; t + CK_VW <= n; t += CK_VW) {
        const float *q = pad + 4 * t;
        const ck_vf a = vf_load(q), b = vf_load(q + CK_VW), c = vf_load(q + 2 * CK_VW), d = vf_load(q + 3 * CK_VW);
        const ck_vf e0 = vf_even(a, b), e1 = vf_even(c, d), o0 = vf_odd(a, b), o1 = vf_odd(c, d);
        vf_store(P0 + t, vf_even(e0, e1));
        vf_store(P1 + t, vf_even(o0, o1));
        vf_store(P2 + t, vf_odd(e0, e1));
        vf_store(P3 + t, vf_odd(o0, o1));
    }
    for (; t < n; t++) {
        P0[t] = pad[4 * t];
        P1[t] = pad[4 * t + 1];
        P2[t] = pad[4 * t + 2];
        P3[t] = pad[4 * t + 3];
    }
}

// The padded input row iy (-1 <= iy <= H) of channel plane `plane`, split into 4 phases:
// P[r][t] = padded[4t + r] = row[4t + r - 1] (zero outside 0..W-1), t = 0..twp. The padded
// row is built in `pad` (4 (twp + 1) floats) first, so the split has no branch.
static void row_phases(const wplan *p, const float *plane, int iy, float *P, float *pad) {
    const int ls = p->ls, W = p->W, n = p->twp + 1;
    if (iy < 0 || iy >= p->H) {
        memset(P, 0, sizeof(float) * 4 * (size_t)ls);
        return;
    }
    const float *row = plane + (size_t)(p->up ? iy / 2 : iy) * p->win;
    pad[0] = 0.0f;
    if (p->up) {   // W even: padded 1 + 2i and 2 + 2i both read x's column i
        for (int i = 0; i < W / 2; i++) pad[1 + 2 * i] = pad[2 + 2 * i] = row[i];
    } else {
        memcpy(pad + 1, row, sizeof(float) * (size_t)W);
    }
    for (int j = W + 1; j < 4 * n; j++) pad[j] = 0.0f;
    split_phases(pad, n, P, ls);
}

// V[e][c][(r - r0) * tw + tx] = (Bᵀ d B)[e] for tile rows r in [r0, r0 + nr).
static void input_transform(const wplan *p, const float *x, long r0, long nr, float *V, float *scratch) {
    const int C = p->C, th = p->th, tw = p->tw, twp = p->twp, ls = p->ls;
    const size_t ldt = p->ldt, es = p->vs, plane_size = (size_t)p->hin * p->win;
    const long jobs = (long)C * nr, chunk = ck_claim_chunk(jobs);
    long next = 0;
#pragma omp parallel num_threads(ck_scratch_threads())
    {
        float *P = scratch + (size_t)omp_get_thread_num() * p->tmp;   // [6 rows][4 phases][ls]
        float *out = P + 24 * (size_t)ls;                                // [36][ls] (first row_phases' pad)
        for (long j0; (j0 = ck_claim(&next, chunk)) < jobs;)
        for (long j = j0; j < j0 + chunk && j < jobs; j++) {
            const int c = (int)(j / nr);
            const long rr = j % nr, r = r0 + rr;
            const int b = (int)(r / th), ty = (int)(r % th);
            const float *plane = x + ((size_t)b * C + c) * plane_size;
            for (int i = 0; i < 6; i++) row_phases(p, plane, 4 * ty - 1 + i, P + (size_t)i * 4 * ls, out);
            // Whole vectors per tile row (twp == tw): store straight into V, else through `out`.
            float *dst = V + (size_t)c * ldt + (size_t)rr * tw;
            const int direct = twp == tw;
            float *o = direct ? dst : out;
            const size_t os = direct ? es : (size_t)ls;
            for (int tx = 0; tx < twp; tx += CK_VW) {
                ck_vf w[6][6];   // w[i] = Bᵀ applied along the row of input row i
                for (int i = 0; i < 6; i++) {
                    const float *Pi = P + (size_t)i * 4 * ls;
                    ck_vf z[6];
                    for (int q = 0; q < 6; q++) z[q] = vf_load(Pi + (size_t)(q & 3) * ls + tx + (q >> 2));
                    bt_rows(z, w[i]);
                }
                for (int bq = 0; bq < 6; bq++) {
                    ck_vf z[6], v[6];
                    for (int i = 0; i < 6; i++) z[i] = w[i][bq];
                    bt_rows(z, v);
                    for (int a = 0; a < 6; a++) vf_store(o + (size_t)(a * 6 + bq) * os + tx, v[a]);
                }
            }
            if (!direct)
                for (int e = 0; e < 36; e++) memcpy(dst + (size_t)e * es, out + (size_t)e * ls, sizeof(float) * tw);
        }
    }
}

// MARK: - Output transform

// Aᵀ m for m = (m0..m5): rows [1 1 1 1 1 0], [0 1 -1 2 -2 0], [0 1 1 4 4 0], [0 1 -1 8 -8 1].
static inline void at_rows(const ck_vf m[6], ck_vf o[4]) {
    const ck_vf a = m[1] + m[2], b = m[1] - m[2], c = m[3] + m[4], d = m[3] - m[4];
    o[0] = m[0] + a + c;
    o[1] = b + vf_set1(2.0f) * d;
    o[2] = a + vf_set1(4.0f) * c;
    o[3] = b + vf_set1(8.0f) * d + m[5];
}

// y[b][k][4ty + i][4tx + j] = (Aᵀ m A)[i][j], m = M[.][k - k0][tile], cropped to H x W,
// for output channels k0..k1-1.
static void output_transform(const wplan *p, const float *M, long r0, long nr, int k0, int k1, float *y,
                             float *scratch) {
    const int K = p->K, H = p->H, W = p->W, th = p->th, tw = p->tw, twp = p->twp, ls = p->ls;
    const size_t ldt = p->ldt, es = p->ms;
    const long jobs = (long)(k1 - k0) * nr, chunk = ck_claim_chunk(jobs);
    long next = 0;
#pragma omp parallel num_threads(ck_scratch_threads())
    {
        float *cols = scratch + (size_t)omp_get_thread_num() * p->tmp;   // [4 rows][4 columns][ls]
        float *rows = cols + 16 * (size_t)ls;                              // [4][4 ls]
        for (long j0; (j0 = ck_claim(&next, chunk)) < jobs;)
        for (long j = j0; j < j0 + chunk && j < jobs; j++) {
            const int k = k0 + (int)(j / nr);
            const long rr = j % nr, r = r0 + rr;
            const int b = (int)(r / th), ty = (int)(r % th);
            const float *src = M + (size_t)(k - k0) * ldt + (size_t)rr * tw;
            for (int tx = 0; tx < twp; tx += CK_VW) {
                ck_vf s[4][6];   // s = Aᵀ m (4x6)
                for (int q = 0; q < 6; q++) {
                    ck_vf m[6], o[4];
                    for (int a = 0; a < 6; a++) m[a] = vf_load(src + (size_t)(a * 6 + q) * es + tx);
                    at_rows(m, o);
                    for (int i = 0; i < 4; i++) s[i][q] = o[i];
                }
                for (int i = 0; i < 4; i++) {
                    ck_vf o[4];
                    at_rows(s[i], o);
                    for (int q = 0; q < 4; q++) vf_store(cols + (size_t)(i * 4 + q) * ls + tx, o[q]);
                }
            }
            const int ni = H - 4 * ty < 4 ? H - 4 * ty : 4;
            float *plane = y + ((size_t)b * K + k) * H * W;
            for (int i = 0; i < ni; i++) {
                // Interleave the 4 columns of each tile; straight into y when the row holds whole tiles.
                float *out = plane + (size_t)(4 * ty + i) * W;
                float *row = W == 4 * tw ? out : rows + (size_t)i * 4 * ls;
                const float *c0 = cols + (size_t)(i * 4) * ls;
                int t = 0;
                for (; t + CK_VW <= tw; t += CK_VW) {   // 4-way interleave: zip (0, 2) with zip (1, 3)
                    const ck_vf a = vf_load(c0 + t), b = vf_load(c0 + ls + t);
                    const ck_vf c = vf_load(c0 + 2 * (size_t)ls + t), d = vf_load(c0 + 3 * (size_t)ls + t);
                    const ck_vf aclo = vf_ziplo(a, c), achi = vf_ziphi(a, c), bdlo = vf_ziplo(b, d), bdhi = vf_ziphi(b, d);
                    float *o = row + 4 * t;
                    vf_store(o, vf_ziplo(aclo, bdlo));
                    vf_store(o + CK_VW, vf_ziphi(aclo, bdlo));
                    vf_store(o + 2 * CK_VW, vf_ziplo(achi, bdhi));
                    vf_store(o + 3 * CK_VW, vf_ziphi(achi, bdhi));
                }
                for (; t < tw; t++)
                    for (int q = 0; q < 4; q++) row[4 * t + q] = c0[(size_t)q * ls + t];
                if (row != out) memcpy(out, row, sizeof(float) * W);
            }
        }
    }
}

// MARK: - Weight gradient transforms

// Ĝy[e][k][(r - r0) * tw + tx] = (A g Aᵀ)[e] for the 4x4 gy block g of each tile (zero
// outside the map): the adjoint of the output transform. A (6x4) is Aᵀ above transposed:
// rows [1 0 0 0], [1 1 1 1], [1 -1 1 -1], [1 2 4 8], [1 -2 4 -8], [0 0 0 1].
static inline void a_rows(const ck_vf z[4], ck_vf r[6]) {
    const ck_vf e = z[0] + z[2], o = z[1] + z[3];
    const ck_vf e4 = z[0] + vf_set1(4.0f) * z[2], o8 = vf_set1(2.0f) * z[1] + vf_set1(8.0f) * z[3];
    r[0] = z[0];
    r[1] = e + o;
    r[2] = e - o;
    r[3] = e4 + o8;
    r[4] = e4 - o8;
    r[5] = z[3];
}

static void grad_output_transform(const wplan *p, const float *gy, long r0, long nr, float *G, float *scratch) {
    const int K = p->K, H = p->H, W = p->W, th = p->th, tw = p->tw, twp = p->twp, ls = p->ls;
    const size_t ldt = p->ldt, es = p->ms;
    const long jobs = (long)K * nr, chunk = ck_claim_chunk(jobs);
    long next = 0;
#pragma omp parallel num_threads(ck_scratch_threads())
    {
        float *Q = scratch + (size_t)omp_get_thread_num() * p->tmp;   // [4 rows][4 phases][ls]
        float *out = Q + 16 * (size_t)ls;                                // [36][ls]
        for (long j0; (j0 = ck_claim(&next, chunk)) < jobs;)
        for (long j = j0; j < j0 + chunk && j < jobs; j++) {
            const int k = (int)(j / nr);
            const long rr = j % nr, r = r0 + rr;
            const int b = (int)(r / th), ty = (int)(r % th);
            const float *plane = gy + ((size_t)b * K + k) * H * W;
            // Phase q of row i: Q[i][q][t] = row[4t + q] (zero past W).
            for (int i = 0; i < 4; i++) {
                float *Qi = Q + (size_t)i * 4 * ls;
                const int iy = 4 * ty + i;
                if (iy >= H) {
                    memset(Qi, 0, sizeof(float) * 4 * (size_t)ls);
                    continue;
                }
                // The row zero-extended to 4 twp in `out` (free until the transform below).
                memcpy(out, plane + (size_t)iy * W, sizeof(float) * (size_t)W);
                for (int q = W; q < 4 * twp; q++) out[q] = 0.0f;
                split_phases(out, twp, Qi, ls);
            }
            float *dst = G + (size_t)k * ldt + (size_t)rr * tw;
            const int direct = twp == tw;
            float *o = direct ? dst : out;
            const size_t os = direct ? es : (size_t)ls;
            for (int tx = 0; tx < twp; tx += CK_VW) {
                ck_vf w[4][6];   // w[i] = A applied along row i of the block
                for (int i = 0; i < 4; i++) {
                    ck_vf z[4];
                    for (int q = 0; q < 4; q++) z[q] = vf_load(Q + (size_t)(i * 4 + q) * ls + tx);
                    a_rows(z, w[i]);
                }
                for (int bq = 0; bq < 6; bq++) {
                    ck_vf z[4], v[6];
                    for (int i = 0; i < 4; i++) z[i] = w[i][bq];
                    a_rows(z, v);
                    for (int a = 0; a < 6; a++) vf_store(o + (size_t)(a * 6 + bq) * os + tx, v[a]);
                }
            }
            if (!direct)
                for (int e = 0; e < 36; e++) memcpy(dst + (size_t)e * es, out + (size_t)e * ls, sizeof(float) * tw);
        }
    }
}

// Gᵀ m for m = (m0..m5), G as in g_rows: the adjoint of the filter transform's rows.
static inline void gt_rows(const ck_vf m[6], ck_vf r[3]) {
    const ck_vf s12 = m[1] + m[2], d12 = m[2] - m[1], s34 = m[3] + m[4], d34 = m[3] - m[4];
    r[0] = m[0] * vf_set1(0.25f) - s12 * vf_set1(1.0f / 6.0f) + s34 * vf_set1(1.0f / 24.0f);
    r[1] = d12 * vf_set1(1.0f / 6.0f) + d34 * vf_set1(1.0f / 12.0f);
    r[2] = (s34 - s12) * vf_set1(1.0f / 6.0f) + m[5];
}

// gw[k][c] = Gᵀ dU[.][k][c] G (3x3) from dU [36][K][C], CK_VW consecutive (k, c) at a time.
static void filter_grad_transform(const wplan *p, const float *dU, float *gw) {
    const size_t KC = (size_t)p->K * p->C;
    const long jobs = (long)((KC + CK_VW - 1) / CK_VW);
#pragma omp parallel for schedule(static)
    for (long jb = 0; jb < jobs; jb++) {
        const size_t j0 = (size_t)jb * CK_VW;
        const int nj = KC - j0 < CK_VW ? (int)(KC - j0) : CK_VW;
        ck_vf sa[6][3];   // s = dU G (6x3): row a of dU through Gᵀ rows
        for (int a = 0; a < 6; a++) {
            ck_vf m[6];
            for (int q = 0; q < 6; q++) m[q] = vf_load_n(dU + (size_t)(a * 6 + q) * KC + j0, nj);
            gt_rows(m, sa[a]);
        }
        float taps[9][CK_VW];
        for (int b = 0; b < 3; b++) {
            ck_vf m[6], r[3];
            for (int a = 0; a < 6; a++) m[a] = sa[a][b];
            gt_rows(m, r);
            for (int i = 0; i < 3; i++) vf_store(taps[i * 3 + b], r[i]);
        }
        for (int l = 0; l < nj; l++)
            for (int t = 0; t < 9; t++) gw[(j0 + l) * 9 + t] = taps[t][l];
    }
}

// MARK: - Driver

size_t ck_wino_filter_floats(const ck_conv_shape *s) {
    return 36 * (size_t)s->cout * s->cin;
}

void ck_wino_transform_filter(const ck_conv_shape *s, int rot180, const float *weight, float *U) {
    wplan p = make_plan(s, 0, 1);
    filter_transform(&p, weight, rot180, 0, U, 0, p.K);
}

// y = conv3x3(x) on plan p, the filter from `filter` (already transformed) or transformed
// here from weight (rot180 / transpose as filter_transform).
static void run(const wplan p, const float *x, const float *weight, int rot180, int transpose,
                const float *filter, float *y, float *ws) {
    float *V = ws + p.u, *M = V + p.v, *scratch = M + p.m;
    const int C = p.C, K = p.K;
    const size_t ldt = p.ldt;
    // U [36][K][C] whole (given, or transformed here once), or [36][kc][C] per chunk of
    // output channels (p.kc < K: one tile chunk, transformed chunk by chunk below).
    const int whole = filter != NULL || p.kc == K;
    if (!filter && whole) filter_transform(&p, weight, rot180, transpose, ws, 0, K);
    for (long r0 = 0; r0 < p.R; r0 += p.rc) {
        const long nr = r0 + p.rc <= p.R ? p.rc : p.R - r0;
        const int nt = (int)(nr * p.tw);
        input_transform(&p, x, r0, nr, V, scratch);
        for (int k0 = 0; k0 < K; k0 += p.kc) {
            const int k1 = k0 + p.kc < K ? k0 + p.kc : K, nk = k1 - k0;
            const float *U;   // rows k0..k1-1 of each element's filter matrix, row stride C
            size_t ue;        // floats between elements
            if (whole) {
                U = (filter ? filter : ws) + (size_t)k0 * C;
                ue = (size_t)K * C;
            } else {
                filter_transform(&p, weight, rot180, transpose, ws, k0, k1);
                U = ws;
                ue = (size_t)nk * C;
            }
            // Small GEMMs run side by side, one per thread: on the in-place micro-kernel
            // where it pays (gemm_tile.h: OpenBLAS would pack both operands of every one),
            // else on a one-thread OpenBLAS each; large ones through OpenBLAS, threaded
            // inside.
            if ((double)nk * C * nt < WINO_SPLIT_GEMM_MAX) {
                long next = 0;
#pragma omp parallel
                for (long e; (e = ck_claim(&next, 1)) < 36;)
                    gemm_one_thread(nk, nt, C, U + (size_t)e * ue, C, V + (size_t)e * p.vs, ldt, M + (size_t)e * p.ms, ldt);
            } else {
                for (int e = 0; e < 36; e++)
                    ck_sgemm(0, 0, nk, nt, C, 1.0f, U + (size_t)e * ue, C, V + (size_t)e * p.vs, (int)ldt, 0.0f,
                             M + (size_t)e * p.ms, (int)ldt);
            }
            output_transform(&p, M, r0, nr, k0, k1, y, scratch);
        }
    }
}

void ck_wino_forward(const ck_conv_shape *s, int upsample, int rot180, const float *x, const float *weight,
                     const float *filter, float *y, float *ws) {
    const wplan p = make_plan(s, upsample, 1);
    run(p, x, weight, rot180, 0, filter, y, ws);
}

void ck_wino_input_grad(const ck_conv_shape *s, const float *gy, const float *weight, float *gx, float *ws) {
    const ck_conv_shape t = swapped(s);
    const wplan p = make_plan(&t, 0, 1);
    run(p, gy, weight, 1, 1, NULL, gx, ws);
}

void ck_wino_weight_grad(const ck_conv_shape *s, const float *x, const float *gy, float *gw, float *ws) {
    const wplan p = make_plan(s, 0, 0);
    float *dU = ws, *V = dU + p.u, *G = V + p.v, *scratch = G + p.m;
    const int C = p.C, K = p.K;
    const size_t ldt = p.ldt;
    for (long r0 = 0; r0 < p.R; r0 += p.rc) {
        const long nr = r0 + p.rc <= p.R ? p.rc : p.R - r0;
        const int nt = (int)(nr * p.tw);
        const float beta = r0 == 0 ? 0.0f : 1.0f;
        input_transform(&p, x, r0, nr, V, scratch);
        grad_output_transform(&p, gy, r0, nr, G, scratch);
        // dU[e] (+)= Ĝy[e] [K x nt] · V[e]ᵀ [nt x C]: side by side on one thread each when small.
        if ((double)K * C * nt < WINO_SPLIT_GEMM_MAX) {
            long next = 0;
#pragma omp parallel
            for (long e; (e = ck_claim(&next, 1)) < 36;)
                ck_sgemm(0, 1, K, C, nt, 1.0f, G + (size_t)e * p.ms, (int)ldt, V + (size_t)e * p.vs, (int)ldt, beta,
                         dU + (size_t)e * K * C, C);
        } else {
            for (int e = 0; e < 36; e++)
                ck_sgemm(0, 1, K, C, nt, 1.0f, G + (size_t)e * p.ms, (int)ldt, V + (size_t)e * p.vs, (int)ldt, beta,
                         dU + (size_t)e * K * C, C);
        }
    }
    filter_grad_transform(&p, dU, gw);
}
