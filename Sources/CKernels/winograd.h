// Private: the Winograd F(4x4, 3x3) path (winograd.c) of 3x3 / stride 1 / pad 1 convolutions,
// all passes (dispatched from conv2d.c).
#ifndef CK_WINOGRAD_H
#define CK_WINOGRAD_H

#include "CKernels.h"

// The plan (ck_conv_plan in conv2d.c) sends only 3x3 / stride 1 / pad 1 shapes here.
/// Workspace floats for `pass` on shape s: ck_wino_forward (CK_CONV_FORWARD or
/// CK_CONV_INFERENCE, with or without upsampling), ck_wino_input_grad or ck_wino_weight_grad.
size_t ck_wino_workspace_floats(const ck_conv_shape *s, ck_conv_pass pass);
/// y [n, cout, h, w] = conv3x3(x) by F(4x4, 3x3). upsample = 0: x is [n, cin, h, w];
/// upsample = 1: x is [n, cin, h/2, w/2], read through nearest 2x upsampling (h, w even).
/// rot180 = 1: the weight's 3x3 taps are used rotated by 180 degrees. filter: NULL, or the
/// weight already transformed by ck_wino_transform_filter with the same rot180 (then
/// weight is not read).
void ck_wino_forward(const ck_conv_shape *s, int upsample, int rot180, const float *x, const float *weight,
                     const float *filter, float *y, float *ws);
/// gx [n, cin, h, w] = the input gradient of the conv of shape s from gy [n, cout, h, w].
void ck_wino_input_grad(const ck_conv_shape *s, const float *gy, const float *weight, float *gx, float *ws);
/// gw [cout, cin, 3, 3] = the weight gradient of the conv of shape s from x and gy.
void ck_wino_weight_grad(const ck_conv_shape *s, const float *x, const float *gy, float *gw, float *ws);
/// Floats of a transformed filter: 36 cout cin.
size_t ck_wino_filter_floats(const ck_conv_shape *s);
/// U [36][cout][cin] = the F(4x4, 3x3) transform of weight [cout, cin, 3, 3] (rotated 180
/// degrees if rot180 is set).
void ck_wino_transform_filter(const ck_conv_shape *s, int rot180, const float *weight, float *U);

#endif
