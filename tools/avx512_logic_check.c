// The AVX-512 level's logic on a CPU without AVX-512 (tools/check-avx512-logic.sh).
//
// The script builds the CKernelsAVX512 files with 16-float vectors (CK_TEST_VW=16) on AVX2
// instructions (clang splits each 512-bit vector operation in two), and kernel_level.c with
// CK_TEST_ASSUME_AVX512, so the avx512 level can be selected here. That runs the 16-wide
// code paths (tile sizes, tails, lane permutations, workspace sizes) against the naive
// twins, though not the AVX-512 instructions themselves. Every level is checked.
#include "CKernels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long long rng_state = 1;
static float frand(void) {
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((rng_state >> 40) & 0xffffff) / 8388608.0f - 1.0f;
}
static float *rand_buf(size_t n) {
    float *p = malloc(sizeof(float) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) p[i] = frand();
    return p;
}
static double rel_err(const float *a, const float *ref, size_t n) {
    double d = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)a[i] - ref[i]);
        if (e != e) return INFINITY;
        if (e > d) d = e;
        if (fabs(ref[i]) > s) s = fabs(ref[i]);
    }
    return s > 0 ? d / s : d;
}

static int failures = 0, checks = 0;
static void expect(int ok, const char *what, const char *level, double err) {
    checks++;
    if (!ok) {
        failures++;
        printf("FAIL [%s] %s (max rel err %.3g)\n", level, what, err);
    }
}

#define GUARD 256
static float *guarded_ws(size_t n) {
    float *w = malloc(sizeof(float) * (n + GUARD));
    for (size_t i = 0; i < n; i++) w[i] = NAN;
    for (size_t i = n; i < n + GUARD; i++) w[i] = 4321.5f;
    return w;
}
static int guard_ok(const float *w, size_t n) {
    for (size_t i = n; i < n + GUARD; i++)
        if (w[i] != 4321.5f) return 0;
    return 1;
}

static const ck_kernel_level levels[] = {CK_KERNELS_PORTABLE, CK_KERNELS_AVX2, CK_KERNELS_AVX512};

static void check_conv(int n, int cin, int h, int w, int cout, int k, int st, int pad) {
    ck_conv_shape s = {n, cin, h, w, cout, k, k, st, pad, 0, 0};
    ck_conv_shape_finish(&s);
    if (s.ho <= 0 || s.wo <= 0) return;
    const size_t nx = (size_t)n * cin * h * w, nw = (size_t)cout * cin * k * k, ny = (size_t)n * cout * s.ho * s.wo;
    float *x = rand_buf(nx), *wt = rand_buf(nw), *g = rand_buf(ny);
    float *yr = malloc(sizeof(float) * ny), *gxr = malloc(sizeof(float) * nx), *gwr = malloc(sizeof(float) * nw);
    ck_conv2d_forward_naive(&s, x, wt, yr);
    ck_conv2d_input_grad_naive(&s, g, wt, gxr);
    ck_conv2d_weight_grad_naive(&s, x, g, gwr);
    const size_t wsn = ck_conv2d_workspace_floats(&s), wsi = ck_conv2d_inference_workspace_floats(&s);
    char what[200];
    for (int li = 0; li < 3; li++) {
        if (ck_kernels_set_level(levels[li]) != 0) continue;
        const char *ln = ck_kernels_level_name(levels[li]);
        float *ws = guarded_ws(wsn), *y = malloc(sizeof(float) * ny), *gx = malloc(sizeof(float) * nx),
              *gw = malloc(sizeof(float) * nw);
        ck_conv2d_forward(&s, x, wt, y, ws);
        ck_conv2d_input_grad(&s, g, wt, gx, ws);
        ck_conv2d_weight_grad(&s, x, g, gw, ws);
        double e;
        snprintf(what, sizeof what, "conv n%d %d->%d %dx%d k%d s%d p%d forward (%s)", n, cin, cout, h, w, k, st, pad,
                 ck_conv_path_name(ck_conv_plan(&s, CK_CONV_FORWARD)));
        e = rel_err(y, yr, ny); expect(e < 1e-4, what, ln, e);
        snprintf(what, sizeof what, "conv n%d %d->%d %dx%d k%d s%d p%d input grad (%s)", n, cin, cout, h, w, k, st, pad,
                 ck_conv_path_name(ck_conv_plan(&s, CK_CONV_INPUT_GRAD)));
        e = rel_err(gx, gxr, nx); expect(e < 1e-4, what, ln, e);
        snprintf(what, sizeof what, "conv n%d %d->%d %dx%d k%d s%d p%d weight grad (%s)", n, cin, cout, h, w, k, st, pad,
                 ck_conv_path_name(ck_conv_plan(&s, CK_CONV_WEIGHT_GRAD)));
        e = rel_err(gw, gwr, nw); expect(e < 1e-4, what, ln, e);
        snprintf(what, sizeof what, "conv n%d %d->%d %dx%d k%d s%d p%d workspace", n, cin, cout, h, w, k, st, pad);
        expect(guard_ok(ws, wsn), what, ln, 0);
        float *wi = guarded_ws(wsi);
        ck_conv2d_forward_inference(&s, x, wt, NULL, y, wi);
        snprintf(what, sizeof what, "conv n%d %d->%d %dx%d k%d s%d p%d inference (%s)", n, cin, cout, h, w, k, st, pad,
                 ck_conv_path_name(ck_conv_plan(&s, CK_CONV_INFERENCE)));
        e = rel_err(y, yr, ny); expect(e < 1e-4, what, ln, e);
        expect(guard_ok(wi, wsi), what, ln, 0);
        free(ws); free(wi); free(y); free(gx); free(gw);
    }
    free(x); free(wt); free(g); free(yr); free(gxr); free(gwr);
}

// conv2d(upsample_nearest_2x(x), w (rotated 180° if rot)) by the fused inference kernel;
// h, w are the upsampled map's.
static void check_upsample_inference(int n, int cin, int h, int w, int cout, int rot) {
    ck_conv_shape s = {n, cin, h, w, cout, 3, 3, 1, 1, 0, 0};
    ck_conv_shape_finish(&s);
    const size_t nx = (size_t)n * cin * (h / 2) * (w / 2), nu = (size_t)n * cin * h * w, nw = (size_t)cout * cin * 9,
                 ny = (size_t)n * cout * h * w;
    float *x = rand_buf(nx), *wt = rand_buf(nw), *up = malloc(sizeof(float) * nu), *wr = malloc(sizeof(float) * nw);
    float *yr = malloc(sizeof(float) * ny);
    for (size_t p = 0; p < (size_t)n * cin; p++)
        for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++) up[(p * h + i) * w + j] = x[(p * (h / 2) + i / 2) * (w / 2) + j / 2];
    for (size_t q = 0; q < nw; q++) wr[q] = rot ? wt[q / 9 * 9 + 8 - q % 9] : wt[q];
    ck_conv2d_forward_naive(&s, up, wr, yr);
    const size_t wsn = ck_conv2d_inference_workspace_floats(&s);
    char what[200];
    snprintf(what, sizeof what, "upsampled conv n%d %d->%d %dx%d rot %d", n, cin, cout, h, w, rot);
    for (int li = 0; li < 3; li++) {
        if (ck_kernels_set_level(levels[li]) != 0) continue;
        const char *ln = ck_kernels_level_name(levels[li]);
        float *ws = guarded_ws(wsn), *y = malloc(sizeof(float) * ny);
        expect(ck_conv2d_upsample_inference(&s, rot, x, wt, NULL, y, ws) == 0, what, ln, 0);
        const double e = rel_err(y, yr, ny);
        expect(e < 1e-4, what, ln, e);
        expect(guard_ok(ws, wsn), what, ln, 0);
        free(ws); free(y);
    }
    free(x); free(wt); free(up); free(wr); free(yr);
}

static void check_upfirdn(int planes, int h, int w, int up, int down, int p0, int p1, int flen) {
    ck_upfirdn_shape s = {planes, h, w, up, up, down, down, p0, p1, p0, p1, flen, flen, 0, 0};
    ck_upfirdn2d_shape_finish(&s);
    if (s.ho <= 0 || s.wo <= 0) return;
    float *x = rand_buf((size_t)planes * h * w), *f = rand_buf((size_t)flen);
    const size_t ny = (size_t)planes * s.ho * s.wo;
    float *yr = malloc(sizeof(float) * ny), *y = malloc(sizeof(float) * ny);
    ck_upfirdn2d_naive(&s, x, f, f, yr);
    const size_t wsn = ck_upfirdn2d_workspace_floats(&s);
    char what[160];
    snprintf(what, sizeof what, "upfirdn2d %dx%dx%d up %d down %d pads %d,%d taps %d", planes, h, w, up, down, p0, p1, flen);
    for (int li = 0; li < 3; li++) {
        if (ck_kernels_set_level(levels[li]) != 0) continue;
        float *ws = guarded_ws(wsn);
        ck_upfirdn2d(&s, x, f, f, y, ws);
        const double e = rel_err(y, yr, ny);
        expect(e < 1e-5 && guard_ok(ws, wsn), what, ck_kernels_level_name(levels[li]), e);
        free(ws);
    }
    free(x); free(f); free(yr); free(y);
}

// The loops without a naive twin against the portable level (a float64 reference would
// only restate them).
static void check_elementwise(int64_t n, int64_t c, int64_t hw) {
    const size_t total = (size_t)(n * c * hw);
    float *x = rand_buf(total), *noise = rand_buf((size_t)(n * hw)), *st = rand_buf((size_t)c), *b = rand_buf((size_t)c);
    float *sc = rand_buf((size_t)(n * c)), *sh = rand_buf((size_t)(n * c));
    float *ref[4], *out[4];
    for (int i = 0; i < 4; i++) { ref[i] = malloc(sizeof(float) * total); out[i] = malloc(sizeof(float) * total); }
    float *p0 = rand_buf(total), *g = rand_buf(total);
    char what[160];
    for (int li = 0; li < 3; li++) {
        if (ck_kernels_set_level(levels[li]) != 0) continue;
        float **dst = li == 0 ? ref : out;
        ck_style_epilogue(x, noise, st, b, sc, sh, dst[0], n, c, hw, 0.2f, 1e-8f);
        ck_unary(CK_UNARY_SOFTPLUS, x, dst[1], (int64_t)total, 0, 0);
        // Adam: param, m, v start from the same values at every level.
        float *m = calloc(total, sizeof(float)), *v = calloc(total, sizeof(float));
        memcpy(dst[2], p0, sizeof(float) * total);
        for (int step = 1; step <= 3; step++) ck_adam_update(dst[2], g, m, v, (int64_t)total, 1e-3f, 0.0f, 0.99f, 1e-8f, step);
        const int64_t shape[2] = {n * c, hw}, sa[2] = {hw, 1}, sb[2] = {0, 1};
        ck_binary(CK_BINARY_MUL, x, sa, noise, sb, dst[3], shape, 2);
        free(m); free(v);
        if (li == 0) continue;
        const char *names[4] = {"style epilogue", "unary softplus", "adam x3", "binary mul (broadcast)"};
        for (int i = 0; i < 4; i++) {
            snprintf(what, sizeof what, "%s %lldx%lldx%lld vs portable", names[i], (long long)n, (long long)c, (long long)hw);
            const double e = rel_err(out[i], ref[i], total);
            expect(e < 1e-5, what, ck_kernels_level_name(levels[li]), e);
        }
    }
    free(x); free(noise); free(st); free(b); free(sc); free(sh); free(p0); free(g);
    for (int i = 0; i < 4; i++) { free(ref[i]); free(out[i]); }
}

int main(void) {
    const ck_kernel_level before = ck_kernels_level();
    printf("levels: best %s (CK_TEST_ASSUME_AVX512), cpu features 0x%x\n", ck_kernels_level_name(ck_kernels_best()),
           ck_cpu_features());
    (void)before;
    // Every conv path, odd sizes and tails (see ConvKernelTests / ConvPlanTests / WinogradTests).
    const int shapes[][8] = {
        {1, 3, 5, 7, 4, 3, 1, 1},      {3, 5, 9, 6, 7, 3, 2, 1},      {1, 8, 8, 8, 8, 1, 1, 0},
        {3, 7, 5, 5, 9, 1, 1, 0},      {3, 6, 7, 5, 5, 4, 2, 1},      {2, 4, 11, 13, 3, 3, 2, 0},
        {2, 3, 9, 9, 4, 5, 1, 2},      {1, 2, 6, 6, 3, 3, 3, 1},      {1, 16, 64, 80, 16, 3, 1, 1},
        {2, 10, 70, 70, 12, 3, 1, 1},  {1, 6, 129, 131, 5, 4, 2, 1},  {1, 5, 66, 64, 6, 3, 1, 0},
        {1, 4, 64, 64, 5, 1, 1, 1},    {1, 256, 64, 64, 8, 3, 1, 1},  {3, 40, 9, 9, 33, 3, 1, 1},
        {2, 8, 8, 8, 12, 3, 1, 1},     {2, 40, 4, 4, 13, 3, 1, 1},    {1, 64, 4, 4, 18, 3, 1, 1},
        {2, 5, 100, 97, 7, 3, 2, 1},   {1, 4, 64, 80, 3, 1, 2, 0},    {1, 3, 66, 68, 4, 4, 2, 0},
        {1, 3, 65, 70, 4, 5, 3, 2},    {2, 64, 16, 16, 64, 3, 1, 1},  {1, 72, 17, 23, 66, 3, 1, 1},
        {3, 64, 9, 41, 80, 3, 1, 1},   {1, 130, 33, 35, 70, 3, 1, 1}, {4, 64, 8, 8, 64, 3, 1, 1},
        {8, 100, 4, 4, 7, 3, 1, 1},    {1, 17, 48, 200, 9, 3, 1, 1},  {2, 64, 17, 23, 48, 3, 1, 1},
        {1, 72, 40, 36, 66, 3, 1, 1},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        const int *t = shapes[i];
        check_conv(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7]);
    }
    for (int i = 0; i < 40; i++) {   // random small shapes
        const int k = 1 + (int)((frand() + 1) * 2.5f), st = 1 + (frand() > 0), pad = (int)((frand() + 1) * 0.5f * (k / 2 + 1));
        check_conv(1 + (int)((frand() + 1) * 1.5f), 1 + (int)((frand() + 1) * 6), 1 + (int)((frand() + 1) * 8.5f),
                   1 + (int)((frand() + 1) * 8.5f), 1 + (int)((frand() + 1) * 6), k, st, pad);
    }
    check_upsample_inference(2, 40, 34, 26, 60, 0);   // F(4x4, 3x3) reading through upsampling
    check_upsample_inference(1, 64, 32, 40, 33, 1);
    const int fir[][8] = {{3, 7, 5, 2, 1, 1, 0, 2}, {2, 16, 33, 2, 1, 1, 0, 2}, {2, 16, 34, 1, 2, 0, 0, 2},
                          {3, 67, 130, 1, 1, 1, 1, 3}, {2, 9, 40, 4, 1, 2, 1, 4}, {1, 12, 37, 1, 2, -1, 3, 3},
                          {4, 5, 70, 2, 2, 1, 2, 4}};
    for (size_t i = 0; i < sizeof fir / sizeof fir[0]; i++) {
        const int *t = fir[i];
        check_upfirdn(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7]);
    }
    check_elementwise(2, 3, 35);
    check_elementwise(2, 8, 64 * 64 + 5);
    printf("%d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
