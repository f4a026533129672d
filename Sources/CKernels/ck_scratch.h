// Private helpers shared by conv2d.c and upfirdn2d.c (not part of the public header).
#ifndef CK_SCRATCH_H
#define CK_SCRATCH_H

#include <stddef.h>

// omp.h is not visible to Swift's clang; declare what we use.
#include "omp_decls.h"

// Per-thread scratch lives inside the caller's workspace as `ck_scratch_slots()`
// equal slots. Parallel regions that use it run with at most that many threads
// (`ck_scratch_threads()`), so the workspace size never depends on the thread
// count chosen later with ck_set_num_threads.
static inline int ck_scratch_slots(void) {
    int p = omp_get_num_procs();
    if (p < 1) p = 1;
    if (p > 256) p = 256;
    return p;
}

static inline int ck_scratch_threads(void) {
    int t = omp_get_max_threads();
    int s = ck_scratch_slots();
    if (t < 1) t = 1;
    return t < s ? t : s;
}

static inline size_t ck_round_up(size_t v, size_t m) { return (v + m - 1) / m * m; }

// Dynamic scheduling by hand (the OpenMP runtime Debian ships predates the entry points
// clang emits for schedule(dynamic)): threads claim `chunk` jobs at a time from a shared
// counter, so a thread the OS preempts (another process, the server's HTTP threads) does
// not hold the others at the region's barrier with its fixed share. Used by kernels whose
// jobs write disjoint outputs, so the result does not depend on who ran what.
//     long next = 0;   // shared: declared before the parallel region
//     for (long j0; (j0 = ck_claim(&next, chunk)) < jobs;) for (j = j0; j < min(j0 + chunk, jobs); j++) ...
static inline long ck_claim(long *next, long chunk) { return __atomic_fetch_add(next, chunk, __ATOMIC_RELAXED); }

// About 8 claims per thread: few enough atomics, small enough to even out a late thread.
static inline long ck_claim_chunk(long jobs) {
    const long c = jobs / (8L * ck_scratch_threads());
    return c > 1 ? c : 1;
}

#endif
