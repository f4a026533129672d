// Private: Winograd paths for 3x3 / stride 1 / pad 1 convolutions (dispatched from conv2d.c):
// F(2x2, 3x3) for all three passes (winograd.c) and F(4x4, 3x3) for inference (winograd4.c).
#ifndef CK_WINOGRAD_H
#define CK_WINOGRAD_H

#include "CKernels.h"

// The plan (ck_conv_plan in conv2d.c) sends only 3x3 / stride 1 / pad 1 shapes here.
/// Workspace floats for the Winograd path of `pass`.
size_t ck_wino_workspace_floats(const ck_conv_shape *s, ck_conv_pass pass);

void ck_wino_forward(const ck_conv_shape *s, const float *x, const float *weight, float *y, float *ws);
void ck_wino_input_grad(const ck_conv_shape *s, const float *gy, const float *weight, float *gx, float *ws);
void ck_wino_weight_grad(const ck_conv_shape *s, const float *x, const float *gy, float *gw, float *ws);

/// Workspace floats for ck_wino4_forward on shape s (with or without upsampling).
size_t ck_wino4_workspace_floats(const ck_conv_shape *s);
/// y [n, cout, h, w] = conv3x3(x) by F(4x4, 3x3). upsample = 0: x is [n, cin, h, w];
/// upsample = 1: x is [n, cin, h/2, w/2], read through nearest 2x upsampling (h, w even).
/// rot180 = 1: the weight's 3x3 taps are used rotated by 180 degrees. filter: NULL, or the
/// weight already transformed by ck_wino4_transform_filter with the same rot180 (then
/// weight is not read).
void ck_wino4_forward(const ck_conv_shape *s, int upsample, int rot180, const float *x, const float *weight,
                      const float *filter, float *y, float *ws);
/// Floats of a transformed filter: 36 cout cin.
size_t ck_wino4_filter_floats(const ck_conv_shape *s);
/// U [36][cout][cin] = the F(4x4, 3x3) transform of weight [cout, cin, 3, 3] (rotated 180
/// degrees if rot180 is set).
void ck_wino4_transform_filter(const ck_conv_shape *s, int rot180, const float *weight, float *U);

#endif
