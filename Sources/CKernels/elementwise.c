// Element-wise maps, broadcasting binary ops, reductions and instance normalisation.
#include "ck_levels.h"
#include "CKernels.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PAR_MIN 16384  // below this many elements a parallel region costs more than it saves

static inline float softplusf(float x) {
    // log(1 + e^x) = max(x, 0) + log1p(e^-|x|)
    return fmaxf(x, 0.0f) + log1pf(expf(-fabsf(x)));
}

static inline float sigmoidf(float x) {
    if (x >= 0) { float e = expf(-x); return 1.0f / (1.0f + e); }
    float e = expf(x); return e / (1.0f + e);
}

void ck_unary(ck_unary_op op, const float *x, float *y, int64_t n, float a, float b) {
    switch (op) {
#define MAP(expr) _Pragma("omp parallel for schedule(static) if (n > PAR_MIN)") \
        for (int64_t i = 0; i < n; i++) { const float v = x[i]; y[i] = (expr); } break;
    case CK_UNARY_NEG:         MAP(-v)
    case CK_UNARY_EXP:         MAP(expf(v))
    case CK_UNARY_LOG:         MAP(logf(v))
    case CK_UNARY_SQRT:        MAP(sqrtf(v))
    case CK_UNARY_RSQRT:       MAP(1.0f / sqrtf(v))
    case CK_UNARY_SIGMOID:     MAP(sigmoidf(v))
    case CK_UNARY_SOFTPLUS:    MAP(softplusf(v))
    case CK_UNARY_LEAKY_RELU:  MAP(v > 0.0f ? v : a * v)
    case CK_UNARY_LEAKY_SLOPE: MAP(v > 0.0f ? 1.0f : a)
    case CK_UNARY_SQUARE:      MAP(v * v)
    case CK_UNARY_AFFINE:      MAP(a * v + b)
    case CK_UNARY_RECIPROCAL:  MAP(1.0f / v)
#undef MAP
    default: break;
    }
}

// One row of a binary op: n outputs, operand strides sa, sb (0 = broadcast).
static inline void binary_row(int op, const float *a, int64_t sa, const float *b, int64_t sb,
                              float *out, int64_t n) {
#define ROW(expr) \
    if (sa == 1 && sb == 1) { for (int64_t i = 0; i < n; i++) { const float u = a[i], v = b[i]; out[i] = (expr); } } \
    else if (sa == 1 && sb == 0) { const float v = b[0]; for (int64_t i = 0; i < n; i++) { const float u = a[i]; out[i] = (expr); } } \
    else if (sa == 0 && sb == 1) { const float u = a[0]; for (int64_t i = 0; i < n; i++) { const float v = b[i]; out[i] = (expr); } } \
    else { for (int64_t i = 0; i < n; i++) { const float u = a[i * sa], v = b[i * sb]; out[i] = (expr); } } \
    break;
    switch (op) {
    case CK_BINARY_ADD: ROW(u + v)
    case CK_BINARY_SUB: ROW(u - v)
    case CK_BINARY_MUL: ROW(u * v)
    case CK_BINARY_DIV: ROW(u / v)
    case CK_BINARY_COPY_A:
        if (sa == 1) memcpy(out, a, (size_t)n * sizeof(float));
        else for (int64_t i = 0; i < n; i++) out[i] = a[i * sa];
        break;
    default: break;
    }
#undef ROW
}

void ck_binary(ck_binary_op op, const float *a, const int64_t *a_strides,
               const float *b, const int64_t *b_strides,
               float *out, const int64_t *shape, int ndim) {
    static const int64_t zero = 0;
    if (!b) { b = a; b_strides = a_strides; }
    // Coalesce: drop size-1 dims and merge neighbours that are contiguous in both operands.
    int64_t dims[8], sa[8], sb[8];
    int nd = 0;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] == 1) continue;
        if (nd > 0 && sa[nd - 1] == a_strides[d] * shape[d] && sb[nd - 1] == b_strides[d] * shape[d]) {
            dims[nd - 1] *= shape[d];
            sa[nd - 1] = a_strides[d];
            sb[nd - 1] = b_strides[d];
        } else {
            dims[nd] = shape[d]; sa[nd] = a_strides[d]; sb[nd] = b_strides[d]; nd++;
        }
    }
    if (nd == 0) { dims[0] = 1; sa[0] = sb[0] = zero; nd = 1; }
    const int64_t inner = dims[nd - 1];
    int64_t rows = 1;
    for (int d = 0; d < nd - 1; d++) rows *= dims[d];
    // Work items are row pieces of at most CHUNK elements, so one long row also splits.
    enum { CHUNK = 8192 };
    const int64_t pieces = (inner + CHUNK - 1) / CHUNK;
    const int64_t total = rows * inner;
    #pragma omp parallel for schedule(static) if (total > PAR_MIN && rows * pieces > 1)
    for (int64_t t = 0; t < rows * pieces; t++) {
        const int64_t r = t / pieces, i0 = (t % pieces) * CHUNK;
        const int64_t len = inner - i0 < CHUNK ? inner - i0 : CHUNK;
        int64_t rem = r, oa = 0, ob = 0;
        for (int d = nd - 2; d >= 0; d--) {
            const int64_t i = rem % dims[d];
            rem /= dims[d];
            oa += i * sa[d];
            ob += i * sb[d];
        }
        const int64_t ia = sa[nd - 1], ib = sb[nd - 1];
        binary_row(op, a + oa + i0 * ia, ia, b + ob + i0 * ib, ib, out + r * inner + i0, len);
    }
}

static double sum_all(const float *x, int64_t n);

void ck_reduce_sum_axis(const float *x, float *y, int64_t outer, int64_t reduce, int64_t inner) {
    if (inner == 1) {
        #pragma omp parallel for schedule(static) if (outer * reduce > PAR_MIN && outer > 1)
        for (int64_t o = 0; o < outer; o++) {
            const float *p = x + o * reduce;
            double acc = 0.0;
            #pragma omp simd reduction(+:acc)
            for (int64_t r = 0; r < reduce; r++) acc += p[r];
            y[o] = (float)acc;
        }
        if (outer == 1 && reduce > PAR_MIN) y[0] = (float)sum_all(x, reduce);
        return;
    }
    enum { CHUNK = 256 };
    const int64_t chunks = (inner + CHUNK - 1) / CHUNK;
    #pragma omp parallel for schedule(static) if (outer * reduce * inner > PAR_MIN)
    for (int64_t t = 0; t < outer * chunks; t++) {
        const int64_t o = t / chunks, i0 = (t % chunks) * CHUNK;
        const int64_t len = inner - i0 < CHUNK ? inner - i0 : CHUNK;
        double acc[CHUNK];
        for (int64_t j = 0; j < len; j++) acc[j] = 0.0;
        for (int64_t r = 0; r < reduce; r++) {
            const float *p = x + (o * reduce + r) * inner + i0;
            #pragma omp simd
            for (int64_t j = 0; j < len; j++) acc[j] += p[j];
        }
        for (int64_t j = 0; j < len; j++) y[o * inner + i0 + j] = (float)acc[j];
    }
}

// Sum of all elements (double accumulation); ck_reduce_sum_axis of one long row.
static double sum_all(const float *x, int64_t n) {
    // Fixed blocks summed in order: the result does not depend on the thread count.
    enum { BLOCK = 4096 };
    const int64_t blocks = (n + BLOCK - 1) / BLOCK;
    if (blocks <= 1) {
        double acc = 0.0;
        for (int64_t i = 0; i < n; i++) acc += x[i];
        return acc;
    }
    double partial_stack[256];
    double *partial = blocks <= 256 ? partial_stack : (double *)malloc((size_t)blocks * sizeof(double));
    #pragma omp parallel for schedule(static) if (n > PAR_MIN)
    for (int64_t b = 0; b < blocks; b++) {
        const int64_t end = (b + 1) * BLOCK < n ? (b + 1) * BLOCK : n;
        double acc = 0.0;
        #pragma omp simd reduction(+:acc)
        for (int64_t i = b * BLOCK; i < end; i++) acc += x[i];
        partial[b] = acc;
    }
    double total = 0.0;
    for (int64_t b = 0; b < blocks; b++) total += partial[b];
    if (partial != partial_stack) free(partial);
    return total;
}

int ck_all_finite(const float *x, int64_t n) {
    int bad = 0;
    #pragma omp parallel for reduction(|:bad) schedule(static) if (n > PAR_MIN)
    for (int64_t i = 0; i < n; i++) bad |= !isfinite(x[i]);
    return !bad;
}

void ck_instance_norm_stats(const float *x, float *mean, float *rstd,
                            int64_t planes, int64_t hw, float eps) {
    #pragma omp parallel for schedule(static) if (planes * hw > PAR_MIN)
    for (int64_t p = 0; p < planes; p++) {
        const float *xp = x + p * hw;
        double s = 0.0;
        #pragma omp simd reduction(+:s)
        for (int64_t i = 0; i < hw; i++) s += xp[i];
        const double m = s / (double)hw;
        double q = 0.0;
        #pragma omp simd reduction(+:q)
        for (int64_t i = 0; i < hw; i++) { const double d = xp[i] - m; q += d * d; }
        mean[p] = (float)m;
        rstd[p] = (float)(1.0 / sqrt(q / (double)hw + (double)eps));
    }
}

void ck_instance_norm_apply(const float *x, const float *mean, const float *rstd,
                            float *y, int64_t planes, int64_t hw) {
    #pragma omp parallel for schedule(static) if (planes * hw > PAR_MIN)
    for (int64_t p = 0; p < planes; p++) {
        const float m = mean[p], r = rstd[p];
        const float *xp = x + p * hw;
        float *yp = y + p * hw;
        #pragma omp simd
        for (int64_t i = 0; i < hw; i++) yp[i] = (xp[i] - m) * r;
    }
}
