// Private: the conv paths that ck_conv_plan() (conv2d.c) chooses between, and the
// helpers they share. Each path's kernels run only for the shapes the plan gives them.
#ifndef CK_CONV_PATHS_H
#define CK_CONV_PATHS_H

#include "CKernels.h"
#include "ck_scratch.h"

#if defined(__AVX__)
#include <immintrin.h>
#endif

// Limits that are both plan thresholds and kernel sizes.
#define SG_MR 6                // small GEMM: rows per tile (the plan needs cout >= SG_MR; every level)
#define SMALL_N 128            // small GEMM: max output pixels over the batch (sizes a stack buffer)
#define SMALL_TAPS 25          // small GEMM: max kh * kw (sizes a stack buffer)
#define DIRECT_MAX_TAPS 1024   // direct kernels: max taps per output (sizes the tap-offset tables)

// MARK: - Shared helpers (conv_gemm.c)

/// p[0..n) = 0, OpenMP-parallel in 64K-float chunks.
void ck_conv_zero_floats(float *p, size_t n);

/// The kh*kw rows of channel ci of the column matrix, for output rows [r0, r1) of one
/// image xb: row (ky, kx) goes to dst + (ky*kw + kx) * ldrow (zeros where the tap is in
/// the padding).
void ck_conv_im2col_channel(const ck_conv_shape *s, const float *xb, int ci, int r0, int r1, float *dst,
                            size_t ldrow);

// Inline copy for the short rows of small layers (libc calls and masked stores
// dominate there).
static inline void ck_copy_floats(float *d, const float *s, long n) {
    long i = 0;
#if defined(__AVX__)
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(d + i, _mm256_loadu_ps(s + i));
    if (n - i >= 4) { _mm_storeu_ps(d + i, _mm_loadu_ps(s + i)); i += 4; }
    if (n - i >= 2) { _mm_storel_pi((__m64 *)(d + i), _mm_loadl_pi(_mm_setzero_ps(), (const __m64 *)(s + i))); i += 2; }
    if (n - i >= 1) d[i] = s[i];
#else
    for (; i + 4 <= n; i += 4) { d[i] = s[i]; d[i + 1] = s[i + 1]; d[i + 2] = s[i + 2]; d[i + 3] = s[i + 3]; }
    for (; i < n; i++) d[i] = s[i];
#endif
}

// MARK: - GEMM paths (conv_gemm.c)

/// Images per group whose columns fit the im2col budget side by side (at most n).
int ck_conv_gemm_group_images(const ck_conv_shape *s);
/// Workspace floats of CK_CONV_GEMM_GROUPED, _1X1 or _CHUNKED (the same for every pass).
size_t ck_conv_gemm_workspace_floats(const ck_conv_shape *s, ck_conv_path path);
/// One pass of a GEMM path. Forward: x, weight -> out = y. Input grad: gy, weight ->
/// out = gx. Weight grad: x, gy -> out = gw. The operand a pass does not use is NULL.
void ck_conv_gemm(const ck_conv_shape *s, ck_conv_path path, ck_conv_pass pass, const float *x,
                  const float *weight, const float *gy, float *out, float *ws);

// MARK: - Small-N GEMM path (conv_small_gemm.c), forward only

size_t ck_conv_small_gemm_workspace_floats(const ck_conv_shape *s);
void ck_conv_small_gemm_forward(const ck_conv_shape *s, const float *x, const float *weight, float *y,
                                float *ws);

// MARK: - Direct paths (conv_direct.c)

size_t ck_conv_direct_workspace_floats(const ck_conv_shape *s, ck_conv_pass pass);
void ck_conv_direct_forward(const ck_conv_shape *s, const float *x, const float *weight, float *y, float *ws);
void ck_conv_direct_input_grad(const ck_conv_shape *s, const float *gy, const float *weight, float *gx,
                               float *ws);
void ck_conv_direct_weight_grad(const ck_conv_shape *s, const float *x, const float *gy, float *gw, float *ws);

#endif
