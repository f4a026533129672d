// Reference convolution kernels: plain nested loops with double accumulators.
// They define the contract the fast kernels in conv2d.c are tested against.
#include "CKernels.h"

#include <string.h>

void ck_conv2d_forward_naive(const ck_conv_shape *s, const float *x, const float *weight, float *y) {
    const int n = s->n, cin = s->cin, h = s->h, w = s->w, cout = s->cout;
    const int kh = s->kh, kw = s->kw, st = s->stride, p = s->pad, ho = s->ho, wo = s->wo;
    for (int b = 0; b < n; b++)
        for (int co = 0; co < cout; co++)
            for (int oy = 0; oy < ho; oy++)
                for (int ox = 0; ox < wo; ox++) {
                    double acc = 0.0;
                    for (int ci = 0; ci < cin; ci++)
                        for (int ky = 0; ky < kh; ky++) {
                            const int iy = oy * st - p + ky;
                            if (iy < 0 || iy >= h) continue;
                            for (int kx = 0; kx < kw; kx++) {
                                const int ix = ox * st - p + kx;
                                if (ix < 0 || ix >= w) continue;
                                acc += (double)x[(((size_t)b * cin + ci) * h + iy) * w + ix] *
                                       (double)weight[(((size_t)co * cin + ci) * kh + ky) * kw + kx];
                            }
                        }
                    y[(((size_t)b * cout + co) * ho + oy) * wo + ox] = (float)acc;
                }
}

void ck_conv2d_input_grad_naive(const ck_conv_shape *s, const float *gy, const float *weight, float *gx) {
    const int n = s->n, cin = s->cin, h = s->h, w = s->w, cout = s->cout;
    const int kh = s->kh, kw = s->kw, st = s->stride, p = s->pad, ho = s->ho, wo = s->wo;
    // gx[b, ci, iy, ix] = sum over (co, ky, kx) with iy = oy*st - p + ky, ix = ox*st - p + kx.
    for (int b = 0; b < n; b++)
        for (int ci = 0; ci < cin; ci++)
            for (int iy = 0; iy < h; iy++)
                for (int ix = 0; ix < w; ix++) {
                    double acc = 0.0;
                    for (int co = 0; co < cout; co++)
                        for (int ky = 0; ky < kh; ky++) {
                            const int ty = iy + p - ky;
                            if (ty < 0 || ty % st != 0) continue;
                            const int oy = ty / st;
                            if (oy >= ho) continue;
                            for (int kx = 0; kx < kw; kx++) {
                                const int tx = ix + p - kx;
                                if (tx < 0 || tx % st != 0) continue;
                                const int ox = tx / st;
                                if (ox >= wo) continue;
                                acc += (double)gy[(((size_t)b * cout + co) * ho + oy) * wo + ox] *
                                       (double)weight[(((size_t)co * cin + ci) * kh + ky) * kw + kx];
                            }
                        }
                    gx[(((size_t)b * cin + ci) * h + iy) * w + ix] = (float)acc;
                }
}

void ck_conv2d_weight_grad_naive(const ck_conv_shape *s, const float *x, const float *gy, float *gw) {
    const int n = s->n, cin = s->cin, h = s->h, w = s->w, cout = s->cout;
    const int kh = s->kh, kw = s->kw, st = s->stride, p = s->pad, ho = s->ho, wo = s->wo;
    for (int co = 0; co < cout; co++)
        for (int ci = 0; ci < cin; ci++)
            for (int ky = 0; ky < kh; ky++)
                for (int kx = 0; kx < kw; kx++) {
                    double acc = 0.0;
                    for (int b = 0; b < n; b++)
                        for (int oy = 0; oy < ho; oy++) {
                            const int iy = oy * st - p + ky;
                            if (iy < 0 || iy >= h) continue;
                            for (int ox = 0; ox < wo; ox++) {
                                const int ix = ox * st - p + kx;
                                if (ix < 0 || ix >= w) continue;
                                acc += (double)x[(((size_t)b * cin + ci) * h + iy) * w + ix] *
                                       (double)gy[(((size_t)b * cout + co) * ho + oy) * wo + ox];
                            }
                        }
                    gw[(((size_t)co * cin + ci) * kh + ky) * kw + kx] = (float)acc;
                }
}
