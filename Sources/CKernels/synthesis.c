// Fused synthesis epilogue and counter-based Gaussian noise.
#include "ck_levels.h"
#include "CKernels.h"
#include <math.h>

void ck_style_epilogue(const float *x, const float *noise, const float *strength,
                       const float *bias, const float *scale, const float *shift,
                       float *y, int64_t n, int64_t c, int64_t hw, float slope, float eps) {
    #pragma omp parallel for schedule(static) if (n * c * hw > 16384)
    for (int64_t p = 0; p < n * c; p++) {
        const int64_t in = p / c, ic = p % c;
        const float s = strength ? strength[ic] : 0.0f, b = bias ? bias[ic] : 0.0f;
        const float *xp = x + p * hw, *np = noise ? noise + in * hw : NULL;
        float *yp = y + p * hw;
        double sum = 0.0, sumsq = 0.0;
        // Pass 1: noise, bias, activation; accumulate the plane's moments.
        if (np) {
            #pragma omp simd reduction(+:sum, sumsq)
            for (int64_t i = 0; i < hw; i++) {
                float v = xp[i] + np[i] * s + b;
                v = v > 0.0f ? v : slope * v;
                yp[i] = v;
                sum += v;
                sumsq += (double)v * v;
            }
        } else {
            #pragma omp simd reduction(+:sum, sumsq)
            for (int64_t i = 0; i < hw; i++) {
                float v = xp[i] + b;
                v = v > 0.0f ? v : slope * v;
                yp[i] = v;
                sum += v;
                sumsq += (double)v * v;
            }
        }
        const double mean = sum / (double)hw;
        double var = sumsq / (double)hw - mean * mean;
        if (var < 0.0) var = 0.0;
        const float rstd = (float)(1.0 / sqrt(var + (double)eps));
        // Pass 2: instance norm folded into the style affine.
        const float a = rstd * scale[p], o = shift[p] - (float)mean * a;
        #pragma omp simd
        for (int64_t i = 0; i < hw; i++) yp[i] = yp[i] * a + o;
    }
}

#if CK_LEVEL_BASE   // the noise must not depend on the level: one version, in CKernels
static inline uint64_t splitmix64(uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void ck_fill_normal(float *out, int64_t n, uint64_t seed) {
    const uint64_t key = splitmix64(seed ^ 0x5851f42d4c957f2dULL);
    const int64_t pairs = (n + 1) / 2;
    #pragma omp parallel for schedule(static) if (n > 65536)
    for (int64_t i = 0; i < pairs; i++) {
        const uint64_t r = splitmix64(key + (uint64_t)i);
        // Two 32-bit uniforms in (0, 1], Box-Muller.
        const double u1 = ((double)(r >> 32) + 1.0) / 4294967296.0;
        const double u2 = (double)(r & 0xffffffffULL) / 4294967296.0;
        const double rad = sqrt(-2.0 * log(u1)), th = 6.283185307179586 * u2;
        out[2 * i] = (float)(rad * cos(th));
        if (2 * i + 1 < n) out[2 * i + 1] = (float)(rad * sin(th));
    }
}
#endif
