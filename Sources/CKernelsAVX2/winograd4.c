// winograd4.c at the avx2 level (the ck_*_avx2 functions; see Sources/CKernels/ck_levels.h).
#if defined(__x86_64__)
#define CK_LEVEL 1
#include "../CKernels/winograd4.c"
#endif
