// CKernelsAVX512: the dispatched kernel files of CKernels compiled with AVX-512 F/BW/DQ/VL
// (the ck_*_avx512 functions). No public interface: CKernels (kernel_level.c) calls them.
// Empty on a non-x86 build.
