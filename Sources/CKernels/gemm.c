// Row-major SGEMM through OpenBLAS.
#include "CKernels.h"
#include <cblas.h>

void ck_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha,
              const float *a, int lda, const float *b, int ldb, float beta,
              float *c, int ldc) {
    if (m == 1) {
        // One row (a dense layer at batch 1: the mapping network and the style inputs of a
        // single render): a matrix-vector product reads b once, where OpenBLAS 0.3.21's
        // sgemm would copy all of it into packed panels first.
        const int incx = trans_a ? lda : 1;
        if (beta == 0.0f) {   // c may hold anything (NaN): never scale it, start from zero
            for (int j = 0; j < n; j++) c[j] = 0.0f;
            beta = 1.0f;
        }
        if (trans_b)   // b [n, k]: c = b a
            cblas_sgemv(CblasRowMajor, CblasNoTrans, n, k, alpha, b, ldb, a, incx, beta, c, 1);
        else           // b [k, n]: c = bᵀ a
            cblas_sgemv(CblasRowMajor, CblasTrans, k, n, alpha, b, ldb, a, incx, beta, c, 1);
        return;
    }
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb,
                beta, c, ldc);
}
