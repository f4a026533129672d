// Sorting many float rows (the sliced Wasserstein distance sorts 512 projections of up
// to ~500k descriptors per pyramid level and set).
#include "CKernels.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// Order-preserving map float -> uint32: negatives have all bits flipped, non-negatives
// only the sign bit, so unsigned order equals IEEE order (-inf < ... < -0 < +0 < ... < inf).
static inline uint32_t key_of(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

static inline float float_of(uint32_t k) {
    const uint32_t u = (k & 0x80000000u) ? (k & 0x7fffffffu) : ~k;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

// LSD radix sort of one row: three passes of 11 bits over keys, ping-ponging between
// `a` and `b` (n each); after the odd number of passes the sorted keys are in the
// buffer `a` then points to.
static void radix_row(float *row, int64_t n, uint32_t *a, uint32_t *b) {
    for (int64_t i = 0; i < n; i++) a[i] = key_of(row[i]);
    for (int pass = 0; pass < 3; pass++) {
        const int shift = 11 * pass;
        int64_t count[2048] = {0};
        for (int64_t i = 0; i < n; i++) count[(a[i] >> shift) & 2047]++;
        int64_t sum = 0;
        for (int d = 0; d < 2048; d++) { const int64_t c = count[d]; count[d] = sum; sum += c; }
        for (int64_t i = 0; i < n; i++) b[count[(a[i] >> shift) & 2047]++] = a[i];
        uint32_t *t = a; a = b; b = t;
    }
    for (int64_t i = 0; i < n; i++) row[i] = float_of(a[i]);
}

int ck_sort_rows(float *x, int64_t rows, int64_t n) {
    int failed = 0;
    #pragma omp parallel if (rows > 1 && rows * n > 65536)
    {
        uint32_t *a = malloc(sizeof(uint32_t) * (size_t)(n > 0 ? n : 1));
        uint32_t *b = malloc(sizeof(uint32_t) * (size_t)(n > 0 ? n : 1));
        if (!a || !b) {
            #pragma omp atomic write
            failed = 1;
        }
        #pragma omp for schedule(static)   // (dynamic schedules need a newer libomp than Debian 12 ships)
        for (int64_t r = 0; r < rows; r++) {
            if (a && b) radix_row(x + r * n, n, a, b);
        }
        free(a);
        free(b);
    }
    return failed ? -1 : 0;
}
