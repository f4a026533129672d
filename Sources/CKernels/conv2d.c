// Fast conv2d (cross-correlation, zero padding, square stride): the plan, the workspace
// size and the three pass entry points.
//
// ck_conv_plan() picks one path per (shape, pass), trying them in this order; the entry
// points switch on its answer and on nothing else, so the plan is what runs.
//
//   path          file               taken when
//   zero          conv2d.c           a dimension is <= 0: the output is empty or all zeros
//   winograd      winograd.c         F(4x4, 3x3), every pass: 3x3 / stride 1 / pad 1, >= 32
//                                    channels in and out and cin * cout >= 2048, maps >= 8x8,
//                                    >= 16 4x4 output tiles over the batch (32 for the weight
//                                    grad)
//   direct        conv_direct.c      few channels at large spatial size: >= 4096 output pixels
//                                    (input grad: input pixels), cout <= 64 (input grad:
//                                    cin), <= 1024 taps per written value, rows >= 16 wide
//   small-gemm    conv_small_gemm.c  forward only: <= 128 output pixels over the whole batch
//                                    (4x4 and 8x8 layers), <= 5x5 kernels, cout >= 6, >= 16 taps
//   gemm-grouped  conv_gemm.c        n > 1 images of < 1024 output pixels, >= 2 images'
//                                    columns fit the im2col budget side by side
//   gemm-1x1      conv_gemm.c        1x1 / stride 1 / pad 0, per image (x is the column matrix)
//   gemm-chunked  conv_gemm.c        anything else: per image, im2col in chunks of output rows
//
// The inference pass plans as the forward; a caller that keeps the transformed filter
// (ck_conv2d_inference_transform_filter) gets the same plan.
//
// Every path is tested against the *_naive twins (conv2d_naive.c) in ConvKernelTests,
// WinogradTests and ConvPlanTests; ConvPlanTests also pins the path of the StyleGAN layers.
#include "conv_paths.h"
#include "winograd.h"

void ck_conv_shape_finish(ck_conv_shape *s) {
    s->ho = (s->h + 2 * s->pad - s->kh) / s->stride + 1;
    s->wo = (s->w + 2 * s->pad - s->kw) / s->stride + 1;
}

// MARK: - Plan

#define GROUP_MAX_P 1024   // GEMM: images with fewer output pixels are grouped

// Winograd thresholds; -D overrides are for measuring.
#ifndef WINO_MIN_HW
#define WINO_MIN_HW 8
#endif
#ifndef WINO_DISABLE
#define WINO_DISABLE 0
#endif
#ifndef WINO_MIN_CHANNELS
#define WINO_MIN_CHANNELS 32
#endif
#ifndef WINO_MIN_CHANNEL_PRODUCT
#define WINO_MIN_CHANNEL_PRODUCT 2048
#endif
#ifndef WINO_MIN_TILES
#define WINO_MIN_TILES 16
#endif
#ifndef WINO_MIN_TILES_WGRAD
#define WINO_MIN_TILES_WGRAD 32
#endif

static int has_empty_dim(const ck_conv_shape *s) {
    return s->n <= 0 || s->cin <= 0 || s->h <= 0 || s->w <= 0 || s->cout <= 0 || s->kh <= 0 || s->kw <= 0 ||
           s->ho <= 0 || s->wo <= 0;
}

// F(4x4, 3x3). Measured on the 2-core EPYC (stylegan-bench --suite conv, alternated):
//  * inference, against F(2x2, 3x3) and the GEMM paths: 1.2-1.7x faster from 32 to 512
//    channels wherever the batch has >= 32 tiles of 4x4 outputs (512 @16² batch 2: 16.2 ->
//    9.4 ms), and from 16 tiles since its products run on the in-place micro-kernel and
//    large filters are transformed in output-channel chunks (batch 1 @16², min / median
//    against gemm-chunked: 128 ch 0.67 / 0.87 -> 0.44 / 0.61 ms, 512 ch 7.04 / 8.75 -> 5.06 /
//    6.14). At 4 tiles (@8² batch 1) it ties at 128 and 256 channels and loses at 512
//    (2.0-2.7 vs 3.2-3.8 ms against small-gemm). Against the direct kernels at 32 channels
//    in and out it ties at 512² and loses at 1024² (279 vs 180 ms at batch 1: the GEMMs are
//    too thin for the transforms), so it needs cin * cout >= 2048.
//  * training (batch 16, 256 channels, against F(2x2, 3x3)): forward and input grad 1.1x
//    at 8², 1.2x at 16², 1.6-1.8x at 32² and 64²; weight grad 1.25x, 1.35x, 2.1x, 1.9x. Also
//    the weight grad of 128 @64² and 64 @128² batch 4 (1.7-1.8x) and 32 -> 64 @256² batch
//    4 (1.6x against direct). The weight grad at 16 tiles loses to gemm-chunked (512 @16²
//    batch 1: 7.3 vs 8.1 ms; 256: a tie) and wins from 32 (512 @16² batch 2: 13.1 vs
//    10.0 ms), so it starts there.
static int winograd_pays(const ck_conv_shape *s, ck_conv_pass pass) {
    // The only shapes the Winograd kernels handle.
    if (WINO_DISABLE || s->kh != 3 || s->kw != 3 || s->stride != 1 || s->pad != 1 || s->ho != s->h ||
        s->wo != s->w)
        return 0;
    if (s->cin < WINO_MIN_CHANNELS || s->cout < WINO_MIN_CHANNELS) return 0;
    if ((long)s->cin * s->cout < WINO_MIN_CHANNEL_PRODUCT) return 0;
    if (s->h < WINO_MIN_HW || s->w < WINO_MIN_HW) return 0;
    const long tiles = (long)s->n * ((s->h + 3) / 4) * ((s->w + 3) / 4);
    return tiles >= (pass == CK_CONV_WEIGHT_GRAD ? WINO_MIN_TILES_WGRAD : WINO_MIN_TILES);
}

// Direct forward and weight grad (GEMM with M = cout = 16..64 is poor at large sizes).
static int direct_forward_pays(const ck_conv_shape *s) {
    const long P = (long)s->ho * s->wo;
    return P >= 4096 && s->cout <= 64 && s->cin * s->kh * s->kw <= DIRECT_MAX_TAPS && s->wo >= 16;
}

// Direct input grad: the transposed conv writes cin channels of h x w from cout.
static int direct_input_grad_pays(const ck_conv_shape *s) {
    const long P = (long)s->h * s->w;
    return P >= 4096 && s->cin <= 64 && s->cout * s->kh * s->kw <= DIRECT_MAX_TAPS &&
           s->w / s->stride >= 16 && s->kw <= 16 * s->stride;
}

// Small-N GEMM forward: few output pixels over the whole batch.
static int small_gemm_pays(const ck_conv_shape *s) {
    const long N = (long)s->n * s->ho * s->wo;
    return N <= SMALL_N && s->kh * s->kw <= SMALL_TAPS && s->cout >= SG_MR && (long)s->cin * s->kh * s->kw >= 16;
}

ck_conv_path ck_conv_plan(const ck_conv_shape *s, ck_conv_pass pass) {
    if (has_empty_dim(s)) return CK_CONV_ZERO;
    if (pass == CK_CONV_INFERENCE) pass = CK_CONV_FORWARD;   // the same plan; only the entry points differ
    if (winograd_pays(s, pass)) return CK_CONV_WINOGRAD;
    switch (pass) {
    case CK_CONV_FORWARD:
    case CK_CONV_INFERENCE:   // not reached: turned into CK_CONV_FORWARD above
        if (direct_forward_pays(s)) return CK_CONV_DIRECT;
        if (small_gemm_pays(s)) return CK_CONV_SMALL_GEMM;
        break;
    case CK_CONV_INPUT_GRAD:
        if (direct_input_grad_pays(s)) return CK_CONV_DIRECT;
        break;
    case CK_CONV_WEIGHT_GRAD:
        if (direct_forward_pays(s)) return CK_CONV_DIRECT;   // it reads the forward's input slabs
        break;
    }
    const long P = (long)s->ho * s->wo;
    if (s->n > 1 && P < GROUP_MAX_P && ck_conv_gemm_group_images(s) >= 2) return CK_CONV_GEMM_GROUPED;
    if (s->kh == 1 && s->kw == 1 && s->stride == 1 && s->pad == 0) return CK_CONV_GEMM_1X1;
    return CK_CONV_GEMM_CHUNKED;
}

const char *ck_conv_path_name(ck_conv_path path) {
    switch (path) {
    case CK_CONV_ZERO: return "zero";
    case CK_CONV_WINOGRAD: return "winograd";
    case CK_CONV_DIRECT: return "direct";
    case CK_CONV_SMALL_GEMM: return "small-gemm";
    case CK_CONV_GEMM_GROUPED: return "gemm-grouped";
    case CK_CONV_GEMM_1X1: return "gemm-1x1";
    case CK_CONV_GEMM_CHUNKED: return "gemm-chunked";
    }
    return "?";
}

// MARK: - Workspace

static size_t pass_workspace_floats(const ck_conv_shape *s, ck_conv_pass pass) {
    const ck_conv_path path = ck_conv_plan(s, pass);
    switch (path) {
    case CK_CONV_ZERO: return 0;
    case CK_CONV_WINOGRAD: return ck_wino_workspace_floats(s, pass);
    case CK_CONV_DIRECT: return ck_conv_direct_workspace_floats(s, pass);
    case CK_CONV_SMALL_GEMM: return ck_conv_small_gemm_workspace_floats(s);
    case CK_CONV_GEMM_GROUPED:
    case CK_CONV_GEMM_1X1:
    case CK_CONV_GEMM_CHUNKED: return ck_conv_gemm_workspace_floats(s, path);
    }
    return 0;
}

size_t ck_conv2d_workspace_floats(const ck_conv_shape *s) {
    size_t need = 0;
    const ck_conv_pass passes[3] = {CK_CONV_FORWARD, CK_CONV_INPUT_GRAD, CK_CONV_WEIGHT_GRAD};
    for (int i = 0; i < 3; i++) {
        const size_t v = pass_workspace_floats(s, passes[i]);
        if (v > need) need = v;
    }
    return need;
}

size_t ck_conv2d_inference_workspace_floats(const ck_conv_shape *s) {
    return pass_workspace_floats(s, CK_CONV_INFERENCE);
}

// MARK: - Passes

static size_t count(int a, int b, int c, int d) {
    return a > 0 && b > 0 && c > 0 && d > 0 ? (size_t)a * b * c * d : 0;
}

static void forward(const ck_conv_shape *s, ck_conv_pass pass, const float *x, const float *weight,
                    const float *filter, float *y, float *ws) {
    const ck_conv_path path = ck_conv_plan(s, pass);
    switch (path) {
    case CK_CONV_ZERO: ck_conv_zero_floats(y, count(s->n, s->cout, s->ho, s->wo)); break;
    case CK_CONV_WINOGRAD: ck_wino_forward(s, 0, 0, x, weight, filter, y, ws); break;
    case CK_CONV_DIRECT: ck_conv_direct_forward(s, x, weight, y, ws); break;
    case CK_CONV_SMALL_GEMM: ck_conv_small_gemm_forward(s, x, weight, y, ws); break;
    case CK_CONV_GEMM_GROUPED:
    case CK_CONV_GEMM_1X1:
    case CK_CONV_GEMM_CHUNKED: ck_conv_gemm(s, path, CK_CONV_FORWARD, x, weight, NULL, y, ws); break;
    }
}

void ck_conv2d_forward(const ck_conv_shape *s, const float *x, const float *weight, float *y, float *ws) {
    forward(s, CK_CONV_FORWARD, x, weight, NULL, y, ws);
}

void ck_conv2d_forward_inference(const ck_conv_shape *s, const float *x, const float *weight,
                                 const float *filter, float *y, float *ws) {
    forward(s, CK_CONV_INFERENCE, x, weight, filter, y, ws);
}

size_t ck_conv2d_inference_filter_floats(const ck_conv_shape *s) {
    return ck_conv_plan(s, CK_CONV_INFERENCE) == CK_CONV_WINOGRAD ? ck_wino_filter_floats(s) : 0;
}

void ck_conv2d_inference_transform_filter(const ck_conv_shape *s, int rot180, const float *weight, float *filter) {
    if (ck_conv_plan(s, CK_CONV_INFERENCE) == CK_CONV_WINOGRAD) ck_wino_transform_filter(s, rot180, weight, filter);
}

int ck_conv2d_upsample_fusable(const ck_conv_shape *s) {
    return s->h % 2 == 0 && s->w % 2 == 0 && ck_conv_plan(s, CK_CONV_INFERENCE) == CK_CONV_WINOGRAD;
}

int ck_conv2d_upsample_inference(const ck_conv_shape *s, int rot180, const float *x, const float *weight,
                                 const float *filter, float *y, float *ws) {
    if (!ck_conv2d_upsample_fusable(s)) return -1;
    ck_wino_forward(s, 1, rot180 != 0, x, weight, filter, y, ws);
    return 0;
}

void ck_conv2d_input_grad(const ck_conv_shape *s, const float *gy, const float *weight, float *gx,
                          float *ws) {
    const ck_conv_path path = ck_conv_plan(s, CK_CONV_INPUT_GRAD);
    switch (path) {
    case CK_CONV_ZERO: ck_conv_zero_floats(gx, count(s->n, s->cin, s->h, s->w)); break;
    case CK_CONV_WINOGRAD: ck_wino_input_grad(s, gy, weight, gx, ws); break;
    case CK_CONV_DIRECT: ck_conv_direct_input_grad(s, gy, weight, gx, ws); break;
    case CK_CONV_SMALL_GEMM: break;   // forward only: never planned for this pass
    case CK_CONV_GEMM_GROUPED:
    case CK_CONV_GEMM_1X1:
    case CK_CONV_GEMM_CHUNKED: ck_conv_gemm(s, path, CK_CONV_INPUT_GRAD, NULL, weight, gy, gx, ws); break;
    }
}

void ck_conv2d_weight_grad(const ck_conv_shape *s, const float *x, const float *gy, float *gw, float *ws) {
    const ck_conv_path path = ck_conv_plan(s, CK_CONV_WEIGHT_GRAD);
    switch (path) {
    case CK_CONV_ZERO: ck_conv_zero_floats(gw, count(s->cout, s->cin, s->kh, s->kw)); break;
    case CK_CONV_WINOGRAD: ck_wino_weight_grad(s, x, gy, gw, ws); break;
    case CK_CONV_DIRECT: ck_conv_direct_weight_grad(s, x, gy, gw, ws); break;
    case CK_CONV_SMALL_GEMM: break;   // forward only: never planned for this pass
    case CK_CONV_GEMM_GROUPED:
    case CK_CONV_GEMM_1X1:
    case CK_CONV_GEMM_CHUNKED: ck_conv_gemm(s, path, CK_CONV_WEIGHT_GRAD, x, NULL, gy, gw, ws); break;
    }
}
