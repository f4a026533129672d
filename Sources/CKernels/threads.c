// Thread control: one knob for OpenMP and OpenBLAS (they share libomp's pool).
#include "CKernels.h"
#include "omp_decls.h"
#include <cblas.h>

void ck_set_num_threads(int n) {
    if (n <= 0) n = omp_get_num_procs();
    omp_set_max_active_levels(1);   // no nested oversubscription
    omp_set_num_threads(n);
    openblas_set_num_threads(n);
}

int ck_get_num_threads(void) { return omp_get_max_threads(); }

int ck_num_procs(void) { return omp_get_num_procs(); }

int ck_threads_in_parallel_region(void) {
    int seen = 1;
    #pragma omp parallel
    {
        #pragma omp single
        seen = omp_get_num_threads();
    }
    return seen;
}
