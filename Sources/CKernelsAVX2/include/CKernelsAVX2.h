// CKernelsAVX2: the dispatched kernel files of CKernels compiled with -mavx2 -mfma (the
// ck_*_avx2 functions). No public interface: CKernels (kernel_level.c) calls them. Empty
// on a non-x86 build.
