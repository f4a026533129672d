// CKernels: the hot loops of the StyleGAN port.
//
// Pure functions over contiguous float32 buffers in NCHW order. No allocation is
// visible to the caller: kernels that need scratch space take a `ws` pointer whose
// size the matching *_workspace_floats function reports. Every fast kernel that is
// not a trivial loop has a *_naive twin with the same contract, used by the tests.
//
// Threads: kernels parallelise with OpenMP over the outermost independent work.
// BLAS (OpenBLAS, OpenMP build) shares the same pool; it is never called from inside
// an OpenMP parallel region.
#ifndef CKERNELS_H
#define CKERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// MARK: - Threads

/// Sets the OpenMP and BLAS thread count; n <= 0 means one per available core.
void ck_set_num_threads(int n);
/// Thread count that the next parallel region will use.
int ck_get_num_threads(void);
/// Runs an OpenMP parallel region and returns how many threads actually ran in it
/// (1 when OpenMP was not compiled in).
int ck_threads_in_parallel_region(void);
/// Number of cores OpenMP sees.
int ck_num_procs(void);

// MARK: - GEMM (row-major)

/// C[M,N] = alpha * op(A) * op(B) + beta * C, row-major; op(X) = X or Xᵀ.
// CPU features (CPUID, with the OS's AVX/AVX-512 state enabled) and OpenBLAS's chosen
// kernel, for picking the best BLAS kernel at start-up.
enum {
    CK_CPU_AVX2 = 1 << 0, CK_CPU_FMA = 1 << 1, CK_CPU_AVX512F = 1 << 2, CK_CPU_AVX512BW = 1 << 3,
    CK_CPU_AVX512DQ = 1 << 4, CK_CPU_AVX512VL = 1 << 5, CK_CPU_AVX512BF16 = 1 << 6,
    CK_CPU_AMD = 1 << 7, CK_CPU_INTEL = 1 << 8,
};
unsigned ck_cpu_features(void);
const char *ck_blas_corename(void);
const char *ck_blas_config(void);

// MARK: - Kernel level (instruction set)

/// The instruction-set variants of the dispatched kernels (convolutions, Winograd, small-N
/// GEMM, upfirdn2d, the synthesis epilogue, element-wise ops, Adam / EMA). Every level
/// computes what the *_naive twins compute. avx2 and avx512 exist on x86-64 builds only.
typedef enum ck_kernel_level {
    CK_KERNELS_PORTABLE = 0,   // plain C (auto-vectorised for the baseline ISA: SSE2, NEON)
    CK_KERNELS_AVX2 = 1,       // AVX2 + FMA
    CK_KERNELS_AVX512 = 2,     // AVX-512 F, BW, DQ, VL
} ck_kernel_level;

/// The level the kernels run at. Chosen at the first call: the best level this build and
/// CPU support, or the one the environment variable STYLEGAN_KERNELS names
/// (portable | avx2 | avx512) when the CPU can run it.
ck_kernel_level ck_kernels_level(void);
/// The best level this build and CPU support.
ck_kernel_level ck_kernels_best(void);
/// 1 when this build and CPU can run `level`.
int ck_kernels_supported(ck_kernel_level level);
/// Switches the level (tests, benchmarks): 0, or -1 and no change when it is not supported.
/// Not meant to be called while kernels run on other threads.
int ck_kernels_set_level(ck_kernel_level level);
/// "portable", "avx2", "avx512".
const char *ck_kernels_level_name(ck_kernel_level level);
/// Why STYLEGAN_KERNELS was not followed (a one-line message), or "" when it was or is unset.
const char *ck_kernels_env_problem(void);

void ck_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha,
              const float *a, int lda, const float *b, int ldb, float beta,
              float *c, int ldc);

// MARK: - Element-wise

typedef enum ck_unary_op {
    CK_UNARY_NEG = 0,        // -x
    CK_UNARY_EXP = 1,        // exp(x)
    CK_UNARY_LOG = 2,        // log(x)
    CK_UNARY_SQRT = 3,       // sqrt(x)
    CK_UNARY_RSQRT = 4,      // 1 / sqrt(x)
    CK_UNARY_SIGMOID = 5,    // 1 / (1 + exp(-x)), stable for large |x|
    CK_UNARY_SOFTPLUS = 6,   // log(1 + exp(x)), stable for large |x|
    CK_UNARY_LEAKY_RELU = 7, // x > 0 ? x : a * x
    CK_UNARY_LEAKY_SLOPE = 8,// x > 0 ? 1 : a   (derivative of LEAKY_RELU)
    CK_UNARY_SQUARE = 9,     // x * x
    CK_UNARY_AFFINE = 10,    // a * x + b
    CK_UNARY_RECIPROCAL = 11 // 1 / x
} ck_unary_op;

/// y[i] = op(x[i]) with parameters a, b where the op uses them. x may equal y.
void ck_unary(ck_unary_op op, const float *x, float *y, int64_t n, float a, float b);

typedef enum ck_binary_op {
    CK_BINARY_ADD = 0,
    CK_BINARY_SUB = 1,
    CK_BINARY_MUL = 2,
    CK_BINARY_DIV = 3,
    CK_BINARY_COPY_A = 4     // out = a (broadcast copy; b is ignored and may be NULL)
} ck_binary_op;

/// Broadcasting binary op. `shape` is the output shape (ndim <= 8); a_strides and
/// b_strides give each operand's element stride per output dimension, 0 along a
/// broadcast dimension. `out` is contiguous and must not alias a or b unless the
/// operand has the output's shape and contiguous strides.
void ck_binary(ck_binary_op op, const float *a, const int64_t *a_strides,
               const float *b, const int64_t *b_strides,
               float *out, const int64_t *shape, int ndim);

/// y[o, i] = sum_r x[o, r, i] for x viewed as [outer, reduce, inner] (double accumulation).
void ck_reduce_sum_axis(const float *x, float *y, int64_t outer, int64_t reduce, int64_t inner);
/// 1 if every element is finite, else 0.
int ck_all_finite(const float *x, int64_t n);

// MARK: - Instance normalisation

/// Per-plane statistics of x [planes, hw]: mean and 1/sqrt(mean((x-mean)^2) + eps).
void ck_instance_norm_stats(const float *x, float *mean, float *rstd,
                            int64_t planes, int64_t hw, float eps);
/// y = (x - mean[p]) * rstd[p] over x [planes, hw]. x may equal y.
void ck_instance_norm_apply(const float *x, const float *mean, const float *rstd,
                            float *y, int64_t planes, int64_t hw);

// MARK: - Convolution (cross-correlation, as PyTorch's conv2d; zero padding)

/// Shapes of one conv: x [n, cin, h, w], weight [cout, cin, kh, kw], y [n, cout, ho, wo]
/// with ho = (h + 2*pad - kh) / stride + 1 (same for wo). ho and wo are given so that
/// the input gradient (transposed conv) knows the exact h, w it must produce.
typedef struct {
    int n, cin, h, w;
    int cout, kh, kw;
    int stride, pad;
    int ho, wo;
} ck_conv_shape;

/// Fills ho and wo from the other fields.
void ck_conv_shape_finish(ck_conv_shape *s);

/// The three passes of a conv, and the forward pass of inference.
typedef enum ck_conv_pass {
    CK_CONV_FORWARD = 0,       // y = conv2d(x, weight)
    CK_CONV_INPUT_GRAD = 1,    // gx = conv_transpose2d(gy, weight)
    CK_CONV_WEIGHT_GRAD = 2,   // gw from x and gy
    CK_CONV_INFERENCE = 3,     // y = conv2d(x, weight) that no gradient will be taken of (plans as
                               // the forward; only its entry points take a kept filter or upsample)
} ck_conv_pass;

/// The strategy one pass of one shape runs. Every path computes what the *_naive twins
/// below compute; they differ in speed only.
typedef enum ck_conv_path {
    CK_CONV_ZERO = 0,          // a dimension is zero: the output is empty or all zeros
    CK_CONV_WINOGRAD = 1,      // Winograd F(4x4, 3x3): 3x3 / stride 1 / pad 1, many channels and tiles
                               // (float32 error ~1e-5 of max |y|)
    CK_CONV_DIRECT = 2,        // register-blocked AVX2 kernels: few channels at large spatial size
    CK_CONV_SMALL_GEMM = 3,    // forward with few output pixels over the batch (4x4, 8x8 layers)
    CK_CONV_GEMM_GROUPED = 4,  // im2col of several small images side by side, one sgemm per group
    CK_CONV_GEMM_1X1 = 5,      // 1x1 / stride 1 / pad 0, per image: sgemm on x itself, no im2col
    CK_CONV_GEMM_CHUNKED = 6,  // per image: im2col in chunks of output rows, one sgemm per chunk
} ck_conv_path;

/// The path pass `pass` of shape s takes; the three kernels below dispatch on this alone.
ck_conv_path ck_conv_plan(const ck_conv_shape *s, ck_conv_pass pass);
/// "zero", "winograd", "direct", "small-gemm", "gemm-grouped", "gemm-1x1", "gemm-chunked".
const char *ck_conv_path_name(ck_conv_path path);

/// Scratch floats needed by the three training passes below (forward, input grad, weight
/// grad) for shape s.
size_t ck_conv2d_workspace_floats(const ck_conv_shape *s);
/// Scratch floats needed by ck_conv2d_forward_inference and ck_conv2d_upsample_inference
/// for shape s.
size_t ck_conv2d_inference_workspace_floats(const ck_conv_shape *s);

/// y = conv2d(x, weight). Overwrites y.
void ck_conv2d_forward(const ck_conv_shape *s, const float *x, const float *weight,
                       float *y, float *ws);
/// gx = conv_transpose2d(gy, weight): the adjoint of conv2d w.r.t. x. Overwrites gx.
void ck_conv2d_input_grad(const ck_conv_shape *s, const float *gy, const float *weight,
                          float *gx, float *ws);
/// gw = the adjoint of conv2d w.r.t. weight: gw[o,i,ky,kx] = sum x[.,i,..] * gy[.,o,..]. Overwrites gw.
void ck_conv2d_weight_grad(const ck_conv_shape *s, const float *x, const float *gy,
                           float *gw, float *ws);
/// y = conv2d(x, weight) when no gradient will be taken of y: the forward's path and values,
/// with a kept filter if the caller has one. Overwrites y.
/// filter: NULL, or weight as ck_conv2d_inference_transform_filter left it for s with
/// rot180 = 0 (a caller whose weights do not change keeps it across calls). A filter changes
/// no plan, only the work: where the plan is F(4x4, 3x3), weight is not read.
void ck_conv2d_forward_inference(const ck_conv_shape *s, const float *x, const float *weight,
                                 const float *filter, float *y, float *ws);
/// Floats of the transformed filter that CK_CONV_INFERENCE's plan of s uses: 36 cout cin
/// where it is F(4x4, 3x3), else 0 (nothing to keep).
size_t ck_conv2d_inference_filter_floats(const ck_conv_shape *s);
/// filter = the F(4x4, 3x3) transform of weight [cout, cin, 3, 3] (taps rotated by 180
/// degrees if rot180 is set) when CK_CONV_INFERENCE's plan of s is F(4x4, 3x3); else
/// nothing.
void ck_conv2d_inference_transform_filter(const ck_conv_shape *s, int rot180, const float *weight, float *filter);
/// Whether ck_conv2d_upsample_inference can run shape s: s is the 3x3 / pad 1 conv on the
/// upsampled map (even h and w) and is planned to CK_CONV_WINOGRAD.
int ck_conv2d_upsample_fusable(const ck_conv_shape *s);
/// y [n, cout, h, w] = conv2d(upsample_nearest_2x(x), weight) for x [n, cin, h/2, w/2], without
/// the upsampled map, with the weight's taps rotated by 180 degrees if rot180 is set; only
/// for shapes ck_conv2d_upsample_fusable accepts (else y is untouched and -1 is returned).
/// The official fused upscale conv (transposed 4x4) with weight w is this with rot180 set.
/// filter: NULL, or weight transformed for s with the same rot180 (as above).
int ck_conv2d_upsample_inference(const ck_conv_shape *s, int rot180, const float *x, const float *weight,
                                 const float *filter, float *y, float *ws);

void ck_conv2d_forward_naive(const ck_conv_shape *s, const float *x, const float *weight, float *y);
void ck_conv2d_input_grad_naive(const ck_conv_shape *s, const float *gy, const float *weight, float *gx);
void ck_conv2d_weight_grad_naive(const ck_conv_shape *s, const float *x, const float *gy, float *gw);

// MARK: - upfirdn2d (separable FIR resampling)

/// Per plane (x viewed as [planes, h, w]) and per axis: insert up-1 zeros after every
/// sample, pad with pad0 zeros before and pad1 after (negative pads crop), convolve with
/// the filter (true convolution: y[o] = sum_k u[o*down + k] * f[len-1-k]) and keep every
/// down-th sample. Output length = (len*up + pad0 + pad1 - flen) / down + 1.
/// Examples: nearest 2x up = up 2, f [1,1], pads (1,0); 2x box down = down 2,
/// f [0.5,0.5], pads (0,0); [1,2,1] blur = f [.25,.5,.25], pads (1,1).
typedef struct {
    int planes, h, w;
    int upx, upy, downx, downy;
    int padx0, padx1, pady0, pady1;
    int fw, fh;              // filter lengths along x and y
    int ho, wo;              // filled by ck_upfirdn2d_shape_finish
} ck_upfirdn_shape;

void ck_upfirdn2d_shape_finish(ck_upfirdn_shape *s);
size_t ck_upfirdn2d_workspace_floats(const ck_upfirdn_shape *s);
/// y [planes, ho, wo] = upfirdn2d(x [planes, h, w]) with filters fx [fw] and fy [fh].
void ck_upfirdn2d(const ck_upfirdn_shape *s, const float *x, const float *fx,
                  const float *fy, float *y, float *ws);
void ck_upfirdn2d_naive(const ck_upfirdn_shape *s, const float *x, const float *fx,
                        const float *fy, float *y);

// MARK: - StyleGAN synthesis epilogue and random numbers

/// The synthesis layer epilogue in one kernel (inference): per plane (n, c),
/// v = x + noise[n] * strength[c] + bias[c]; v = leaky_relu(v, slope);
/// v = (v - mean) / sqrt(var + eps) over the plane; y = v * scale[n,c] + shift[n,c].
/// x, y [N, C, HW] (x may equal y); noise [N, HW] or NULL; strength, bias [C] (NULL = 0);
/// scale, shift [N, C] (scale already includes StyleGAN's +1).
void ck_style_epilogue(const float *x, const float *noise, const float *strength,
                       const float *bias, const float *scale, const float *shift,
                       float *y, int64_t n, int64_t c, int64_t hw, float slope, float eps);

/// Fills out[0..n) with standard normal samples that depend only on (seed, index):
/// the result is identical for any thread count.
void ck_fill_normal(float *out, int64_t n, uint64_t seed);

// MARK: - Optimiser loops

/// Adam (TensorFlow's form, as the official StyleGAN): m = b1 m + (1-b1) g;
/// v = b2 v + (1-b2) g^2; p -= lr * sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps); t = step >= 1.
void ck_adam_update(float *param, const float *grad, float *m, float *v, int64_t n,
                    float lr, float beta1, float beta2, float eps, int64_t step);
/// ema = param + beta * (ema - param).
void ck_ema_update(float *ema, const float *param, int64_t n, float beta);

// MARK: - Sorting

/// Sorts each of `rows` contiguous rows of `n` floats ascending in place (IEEE order,
/// -0 before +0; NaNs are not expected), rows in parallel. 0 on success, -1 when scratch
/// memory could not be allocated.
int ck_sort_rows(float *x, int64_t rows, int64_t n);

#ifdef __cplusplus
}
#endif

#endif
