// Private: Winograd F(2x2, 3x3) paths for 3x3 / stride 1 / pad 1 convolutions
// (implemented in winograd.c, dispatched from conv2d.c).
#ifndef CK_WINOGRAD_H
#define CK_WINOGRAD_H

#include "CKernels.h"

// Passes, as in ck_conv2d_uses_winograd: 0 forward, 1 input grad, 2 weight grad.
#define CK_WINO_FORWARD 0
#define CK_WINO_INPUT_GRAD 1
#define CK_WINO_WEIGHT_GRAD 2

/// 1 when the shape is a 3x3 / stride 1 / pad 1 conv (the only shapes Winograd handles).
int ck_wino_shape_ok(const ck_conv_shape *s);
/// 1 when pass `pass` of shape s takes the Winograd path (shape ok and measured faster).
int ck_wino_use(const ck_conv_shape *s, int pass);
/// Workspace floats for the Winograd path of `pass` (0 when it is not taken).
size_t ck_wino_workspace_floats(const ck_conv_shape *s, int pass);

void ck_wino_forward(const ck_conv_shape *s, const float *x, const float *weight, float *y, float *ws);
void ck_wino_input_grad(const ck_conv_shape *s, const float *gy, const float *weight, float *gx, float *ws);
void ck_wino_weight_grad(const ck_conv_shape *s, const float *x, const float *gy, float *gw, float *ws);

#endif
