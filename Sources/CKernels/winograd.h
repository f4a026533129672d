// Private: Winograd F(2x2, 3x3) paths for 3x3 / stride 1 / pad 1 convolutions
// (implemented in winograd.c, dispatched from conv2d.c).
#ifndef CK_WINOGRAD_H
#define CK_WINOGRAD_H

#include "CKernels.h"

// The plan (ck_conv_plan in conv2d.c) sends only 3x3 / stride 1 / pad 1 shapes here.
/// Workspace floats for the Winograd path of `pass`.
size_t ck_wino_workspace_floats(const ck_conv_shape *s, ck_conv_pass pass);

void ck_wino_forward(const ck_conv_shape *s, const float *x, const float *weight, float *y, float *ws);
void ck_wino_input_grad(const ck_conv_shape *s, const float *gy, const float *weight, float *gx, float *ws);
void ck_wino_weight_grad(const ck_conv_shape *s, const float *x, const float *gy, float *gw, float *ws);

#endif
