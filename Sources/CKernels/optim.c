// Optimiser update loops over flat parameter buffers.
#include "ck_levels.h"
#include "CKernels.h"
#include <math.h>

void ck_adam_update(float *param, const float *grad, float *m, float *v, int64_t n,
                    float lr, float beta1, float beta2, float eps, int64_t step) {
    const double t = (double)(step < 1 ? 1 : step);
    const float lr_t = (float)(lr * sqrt(1.0 - pow(beta2, t)) / (1.0 - pow(beta1, t)));
    #pragma omp parallel for schedule(static) if (n > 32768)
    for (int64_t i = 0; i < n; i++) {
        const float g = grad[i];
        const float mi = beta1 * m[i] + (1.0f - beta1) * g;
        const float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
        m[i] = mi;
        v[i] = vi;
        param[i] -= lr_t * mi / (sqrtf(vi) + eps);
    }
}

void ck_ema_update(float *ema, const float *param, int64_t n, float beta) {
    #pragma omp parallel for schedule(static) if (n > 32768)
    for (int64_t i = 0; i < n; i++) ema[i] = param[i] + beta * (ema[i] - param[i]);
}
