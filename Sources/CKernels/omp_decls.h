// The few OpenMP runtime entry points the kernels use. Swift's clang does not find
// omp.h on Debian, so the prototypes are declared here (libomp5 provides them).
#ifndef CK_OMP_DECLS_H
#define CK_OMP_DECLS_H
int omp_get_thread_num(void);
int omp_get_num_threads(void);
int omp_get_max_threads(void);
int omp_get_num_procs(void);
void omp_set_num_threads(int n);
void omp_set_max_active_levels(int levels);
int omp_in_parallel(void);
#endif
