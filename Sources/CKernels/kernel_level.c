// The instruction-set level of the dispatched kernels, chosen once, and the dispatchers.
//
// Levels: portable (plain C, any CPU this compiler targets), avx2 (AVX2 + FMA) and
// avx512 (AVX-512 F/BW/DQ/VL), the last two on x86-64 only. See ck_levels.h for how one
// source file becomes the three variants. The level is decided at the first call, from
// CPUID (ck_cpu_features: the best level this CPU and OS support) unless the environment
// variable STYLEGAN_KERNELS names another one; a level the CPU cannot run, or an unknown
// name, is not followed (the best level is used and ck_kernels_env_problem says why; the
// stylegan CLI turns that into an error). Tests and benchmarks switch with
// ck_kernels_set_level.
#include "CKernels.h"
#include "conv_paths.h"
#include "winograd.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#define CK_HAVE_X86_LEVELS 1
#else
#define CK_HAVE_X86_LEVELS 0
#endif

static const char *const level_names[] = {"portable", "avx2", "avx512"};

const char *ck_kernels_level_name(ck_kernel_level level) {
    return (unsigned)level < 3 ? level_names[level] : "unknown";
}

// Why this CPU / build cannot run `level` ("" when it can).
static const char *unsupported_reason(ck_kernel_level level) {
    if (level == CK_KERNELS_PORTABLE) return "";
    if (!CK_HAVE_X86_LEVELS) return "this build is not for x86-64 and has only the portable kernels";
    const unsigned f = ck_cpu_features();
    const unsigned avx2 = CK_CPU_AVX2 | CK_CPU_FMA;
    const unsigned avx512 = CK_CPU_AVX512F | CK_CPU_AVX512BW | CK_CPU_AVX512DQ | CK_CPU_AVX512VL;
    if ((f & avx2) != avx2) return "this CPU has no AVX2 + FMA";
#if !defined(CK_TEST_ASSUME_AVX512)   // set only by tools/check-avx512-logic.sh (16-wide code on AVX2)
    if (level == CK_KERNELS_AVX512 && (f & avx512) != avx512) return "this CPU has no AVX-512 (F, BW, DQ, VL)";
#endif
    if ((unsigned)level > CK_KERNELS_AVX512) return "no such level";
    return "";
}

static _Atomic int level_state = 0;   // 0: not chosen, 1: being chosen, 2: chosen
static _Atomic int current_level = CK_KERNELS_PORTABLE;
static ck_kernel_level best_level = CK_KERNELS_PORTABLE;   // set once (CPUID is slow in a VM)
static char env_problem[256];

static void choose_level(void) {
    ck_kernel_level best = CK_KERNELS_PORTABLE;
    if (!unsupported_reason(CK_KERNELS_AVX2)[0]) best = CK_KERNELS_AVX2;
    if (!unsupported_reason(CK_KERNELS_AVX512)[0]) best = CK_KERNELS_AVX512;
    best_level = best;
    ck_kernel_level level = best;
    const char *want = getenv("STYLEGAN_KERNELS");
    if (want && *want) {
        int found = -1;
        for (int i = 0; i < 3; i++)
            if (strcmp(want, level_names[i]) == 0) found = i;
        if (found < 0) {
            snprintf(env_problem, sizeof env_problem,
                     "STYLEGAN_KERNELS=%.40s is not a kernel level (portable, avx2 or avx512); using %s", want,
                     level_names[best]);
        } else if (found > (int)best) {
            snprintf(env_problem, sizeof env_problem, "STYLEGAN_KERNELS=%s: %s; using %s", level_names[found],
                     unsupported_reason((ck_kernel_level)found), level_names[best]);
        } else {
            level = (ck_kernel_level)found;
        }
    }
    atomic_store(&current_level, (int)level);
}

// choose_level exactly once (a C11-atomics pthread_once, so this file needs no pthread.h).
static inline void ensure_chosen(void) {
    if (atomic_load_explicit(&level_state, memory_order_acquire) == 2) return;
    int expected = 0;
    if (atomic_compare_exchange_strong(&level_state, &expected, 1)) {
        choose_level();
        atomic_store_explicit(&level_state, 2, memory_order_release);
    } else {
        while (atomic_load_explicit(&level_state, memory_order_acquire) != 2) {}
    }
}

ck_kernel_level ck_kernels_best(void) {
    ensure_chosen();
    return best_level;
}

// Levels nest: a CPU that runs avx512 runs avx2 and portable.
int ck_kernels_supported(ck_kernel_level level) {
    return (unsigned)level <= (unsigned)ck_kernels_best();
}

ck_kernel_level ck_kernels_level(void) {
    ensure_chosen();
    return (ck_kernel_level)atomic_load_explicit(&current_level, memory_order_relaxed);
}

int ck_kernels_set_level(ck_kernel_level level) {
    ensure_chosen();
    if (!ck_kernels_supported(level)) return -1;
    atomic_store(&current_level, (int)level);
    return 0;
}

const char *ck_kernels_env_problem(void) {
    ensure_chosen();
    return env_problem;
}

// MARK: - Dispatchers

// V: returns nothing; R: returns the level's result; W: a workspace size, the largest
// over the levels this CPU can run (so a buffer sized once fits whichever level runs).
#define CK_DISPATCHED(V, R, W)                                                                                 \
    W(ck_conv_direct_workspace_floats, (const ck_conv_shape *s, ck_conv_pass pass), (s, pass))                 \
    V(ck_conv_direct_forward, (const ck_conv_shape *s, const float *x, const float *weight, float *y, float *ws), \
      (s, x, weight, y, ws))                                                                                     \
    V(ck_conv_direct_input_grad, (const ck_conv_shape *s, const float *gy, const float *weight, float *gx,     \
                                  float *ws), (s, gy, weight, gx, ws))                                           \
    V(ck_conv_direct_weight_grad, (const ck_conv_shape *s, const float *x, const float *gy, float *gw,         \
                                   float *ws), (s, x, gy, gw, ws))                                               \
    W(ck_wino_workspace_floats, (const ck_conv_shape *s, ck_conv_pass pass), (s, pass))                       \
    V(ck_wino_forward, (const ck_conv_shape *s, int upsample, int rot180, const float *x, const float *weight, \
                         const float *filter, float *y, float *ws), (s, upsample, rot180, x, weight, filter, y, ws)) \
    V(ck_wino_input_grad, (const ck_conv_shape *s, const float *gy, const float *weight, float *gx, float *ws), \
      (s, gy, weight, gx, ws))                                                                                   \
    V(ck_wino_weight_grad, (const ck_conv_shape *s, const float *x, const float *gy, float *gw, float *ws),    \
      (s, x, gy, gw, ws))                                                                                        \
    W(ck_wino_filter_floats, (const ck_conv_shape *s), (s))                                                   \
    V(ck_wino_transform_filter, (const ck_conv_shape *s, int rot180, const float *weight, float *U),          \
      (s, rot180, weight, U))                                                                                    \
    W(ck_conv_small_gemm_workspace_floats, (const ck_conv_shape *s), (s))                                      \
    V(ck_conv_small_gemm_forward, (const ck_conv_shape *s, const float *x, const float *weight, float *y,       \
                                   float *ws), (s, x, weight, y, ws))                                            \
    V(ck_conv_zero_floats, (float *p, size_t n), (p, n))                                                       \
    V(ck_conv_im2col_channel, (const ck_conv_shape *s, const float *xb, int ci, int r0, int r1, float *dst,    \
                               size_t ldrow), (s, xb, ci, r0, r1, dst, ldrow))                                   \
    R(int, ck_conv_gemm_group_images, (const ck_conv_shape *s), (s))                                           \
    W(ck_conv_gemm_workspace_floats, (const ck_conv_shape *s, ck_conv_path path), (s, path))                   \
    V(ck_conv_gemm, (const ck_conv_shape *s, ck_conv_path path, ck_conv_pass pass, const float *x,             \
                     const float *weight, const float *gy, float *out, float *ws),                               \
      (s, path, pass, x, weight, gy, out, ws))                                                                   \
    V(ck_upfirdn2d, (const ck_upfirdn_shape *s, const float *x, const float *fx, const float *fy, float *y,    \
                     float *ws), (s, x, fx, fy, y, ws))                                                          \
    V(ck_style_epilogue, (const float *x, const float *noise, const float *strength, const float *bias,        \
                          const float *scale, const float *shift, float *y, int64_t n, int64_t c, int64_t hw,  \
                          float slope, float eps), (x, noise, strength, bias, scale, shift, y, n, c, hw, slope, eps)) \
    V(ck_adam_update, (float *param, const float *grad, float *m, float *v, int64_t n, float lr, float beta1,  \
                       float beta2, float eps, int64_t step), (param, grad, m, v, n, lr, beta1, beta2, eps, step)) \
    V(ck_ema_update, (float *ema, const float *param, int64_t n, float beta), (ema, param, n, beta))           \
    V(ck_unary, (ck_unary_op op, const float *x, float *y, int64_t n, float a, float b), (op, x, y, n, a, b))  \
    V(ck_binary, (ck_binary_op op, const float *a, const int64_t *a_strides, const float *b,                   \
                  const int64_t *b_strides, float *out, const int64_t *shape, int ndim),                         \
      (op, a, a_strides, b, b_strides, out, shape, ndim))                                                        \
    V(ck_reduce_sum_axis, (const float *x, float *y, int64_t outer, int64_t reduce, int64_t inner),            \
      (x, y, outer, reduce, inner))                                                                              \
    R(int, ck_all_finite, (const float *x, int64_t n), (x, n))                                                 \
    V(ck_instance_norm_stats, (const float *x, float *mean, float *rstd, int64_t planes, int64_t hw, float eps), \
      (x, mean, rstd, planes, hw, eps))                                                                          \
    V(ck_instance_norm_apply, (const float *x, const float *mean, const float *rstd, float *y, int64_t planes,  \
                               int64_t hw), (x, mean, rstd, y, planes, hw))

#if CK_HAVE_X86_LEVELS
#define DECLARE(ret, f, params) ret f##_portable params; ret f##_avx2 params; ret f##_avx512 params;
#define DEFINE_V(f, params, args)                                                                               \
    void f params {                                                                                             \
        switch (ck_kernels_level()) {                                                                           \
        case CK_KERNELS_AVX512: f##_avx512 args; break;                                                         \
        case CK_KERNELS_AVX2: f##_avx2 args; break;                                                             \
        default: f##_portable args; break;                                                                      \
        }                                                                                                       \
    }
#define DEFINE_R(ret, f, params, args)                                                                          \
    ret f params {                                                                                              \
        switch (ck_kernels_level()) {                                                                           \
        case CK_KERNELS_AVX512: return f##_avx512 args;                                                         \
        case CK_KERNELS_AVX2: return f##_avx2 args;                                                             \
        default: return f##_portable args;                                                                      \
        }                                                                                                       \
    }
#define DEFINE_W(f, params, args)                                                                               \
    size_t f params {                                                                                           \
        size_t n = f##_portable args, v;                                                                        \
        if (ck_kernels_supported(CK_KERNELS_AVX2) && (v = f##_avx2 args) > n) n = v;                            \
        if (ck_kernels_supported(CK_KERNELS_AVX512) && (v = f##_avx512 args) > n) n = v;                        \
        return n;                                                                                               \
    }
#else
#define DECLARE(ret, f, params) ret f##_portable params;
#define DEFINE_V(f, params, args) void f params { f##_portable args; }
#define DEFINE_R(ret, f, params, args) ret f params { return f##_portable args; }
#define DEFINE_W(f, params, args) size_t f params { return f##_portable args; }
#endif

#define DECLARE_V(f, params, args) DECLARE(void, f, params)
#define DECLARE_R(ret, f, params, args) DECLARE(ret, f, params)
#define DECLARE_W(f, params, args) DECLARE(size_t, f, params)
CK_DISPATCHED(DECLARE_V, DECLARE_R, DECLARE_W)
CK_DISPATCHED(DEFINE_V, DEFINE_R, DEFINE_W)
