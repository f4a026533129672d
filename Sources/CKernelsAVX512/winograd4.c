// winograd4.c at the avx512 level (the ck_*_avx512 functions; see Sources/CKernels/ck_levels.h).
#if defined(__x86_64__)
#define CK_LEVEL 2
#include "../CKernels/winograd4.c"
#endif
