// Private: one source, three instruction-set levels.
//
// The dispatched kernel files (conv_direct.c, winograd.c, conv_small_gemm.c, conv_gemm.c,
// upfirdn2d.c, synthesis.c, elementwise.c, optim.c) include this header first. It renames
// their public functions with the level's suffix, so the same file compiles to
//   * ck_xxx_portable: compiled here, in the CKernels target, with no ISA flags
//     (baseline x86-64 or aarch64);
//   * ck_xxx_avx2: the one-line wrappers in Sources/CKernelsAVX2 (-mavx2 -mfma);
//   * ck_xxx_avx512: the wrappers in Sources/CKernelsAVX512 (-mavx512f/bw/dq/vl).
// The wrappers define CK_LEVEL and include the file; on a non-x86 host they are empty.
// kernel_level.c defines the unsuffixed ck_xxx, which call the variant of the level
// chosen once at start-up (ck_kernels_level). Code that must exist once (naive twins,
// shape helpers, the Gaussian noise, which must not depend on the level) sits in
// `#if CK_LEVEL_BASE`. Inside a level, ISA-specific code is selected with
// __AVX512F__ / __AVX2__ (set by the target's flags) and vectors go through ck_simd.h.
#ifndef CK_LEVELS_H
#define CK_LEVELS_H

#define CK_LEVEL_PORTABLE 0
#define CK_LEVEL_AVX2 1
#define CK_LEVEL_AVX512 2

#ifndef CK_LEVEL
#define CK_LEVEL CK_LEVEL_PORTABLE
#define CK_LEVEL_BASE 1   // compiled in CKernels itself: the once-only definitions go here
#else
#define CK_LEVEL_BASE 0
#endif

#if CK_LEVEL == CK_LEVEL_AVX512
#define CK_LEVEL_NAME(f) f##_avx512
#elif CK_LEVEL == CK_LEVEL_AVX2
#define CK_LEVEL_NAME(f) f##_avx2
#else
#define CK_LEVEL_NAME(f) f##_portable
#endif

// Every dispatched function (kernel_level.c has the matching table). A function missing
// here but defined in a level file is a duplicate symbol at link time; one missing in
// kernel_level.c is an undefined symbol.
#define ck_conv_direct_workspace_floats CK_LEVEL_NAME(ck_conv_direct_workspace_floats)
#define ck_conv_direct_forward CK_LEVEL_NAME(ck_conv_direct_forward)
#define ck_conv_direct_input_grad CK_LEVEL_NAME(ck_conv_direct_input_grad)
#define ck_conv_direct_weight_grad CK_LEVEL_NAME(ck_conv_direct_weight_grad)
#define ck_wino_workspace_floats CK_LEVEL_NAME(ck_wino_workspace_floats)
#define ck_wino_forward CK_LEVEL_NAME(ck_wino_forward)
#define ck_wino_input_grad CK_LEVEL_NAME(ck_wino_input_grad)
#define ck_wino_weight_grad CK_LEVEL_NAME(ck_wino_weight_grad)
#define ck_wino_filter_floats CK_LEVEL_NAME(ck_wino_filter_floats)
#define ck_wino_transform_filter CK_LEVEL_NAME(ck_wino_transform_filter)
#define ck_conv_small_gemm_workspace_floats CK_LEVEL_NAME(ck_conv_small_gemm_workspace_floats)
#define ck_conv_small_gemm_forward CK_LEVEL_NAME(ck_conv_small_gemm_forward)
#define ck_conv_zero_floats CK_LEVEL_NAME(ck_conv_zero_floats)
#define ck_conv_im2col_channel CK_LEVEL_NAME(ck_conv_im2col_channel)
#define ck_conv_gemm_group_images CK_LEVEL_NAME(ck_conv_gemm_group_images)
#define ck_conv_gemm_workspace_floats CK_LEVEL_NAME(ck_conv_gemm_workspace_floats)
#define ck_conv_gemm CK_LEVEL_NAME(ck_conv_gemm)
#define ck_upfirdn2d CK_LEVEL_NAME(ck_upfirdn2d)
#define ck_style_epilogue CK_LEVEL_NAME(ck_style_epilogue)
#define ck_adam_update CK_LEVEL_NAME(ck_adam_update)
#define ck_ema_update CK_LEVEL_NAME(ck_ema_update)
#define ck_unary CK_LEVEL_NAME(ck_unary)
#define ck_binary CK_LEVEL_NAME(ck_binary)
#define ck_reduce_sum_axis CK_LEVEL_NAME(ck_reduce_sum_axis)
#define ck_all_finite CK_LEVEL_NAME(ck_all_finite)
#define ck_instance_norm_stats CK_LEVEL_NAME(ck_instance_norm_stats)
#define ck_instance_norm_apply CK_LEVEL_NAME(ck_instance_norm_apply)

#endif
