// PNG encoder settings compared (the measurement behind PNG.encode's zlib strategy, level
// and row filter): cpng_write_rgb8 (Sources/CLibPNG/shim.h) with each setting, and libpng's
// simplified writer (level 6, Z_FILTERED, adaptive filters), on one PNG's pixels, optionally
// scaled up bilinearly by an integer factor (a smooth stand-in for a large face). Every
// output is decoded and compared with the input. Prints: label, size, setting, best ms, bytes.
//
//   cc -O2 -I Sources/CLibPNG tools/png_encode_settings.c -o /tmp/pngset -lpng16 -lz
//   /tmp/pngset REPEATS LABEL FILE.png [FACTOR]
#include "shim.h"
#include <zlib.h>
#include <stdio.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e3 + t.tv_nsec / 1e6; }

static unsigned char *load(const char *path, png_uint_32 *w, png_uint_32 *h) {
    png_image im = {0}; im.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&im, path)) { fprintf(stderr, "%s: %s\n", path, im.message); exit(1); }
    im.format = PNG_FORMAT_RGB;
    unsigned char *buf = malloc(PNG_IMAGE_SIZE(im));
    if (!png_image_finish_read(&im, NULL, buf, 0, NULL)) { fprintf(stderr, "%s\n", im.message); exit(1); }
    *w = im.width; *h = im.height; return buf;
}

// Bilinear upscale by an integer factor (a smooth stand-in for a real high-resolution face).
static unsigned char *upscale(const unsigned char *src, int w, int h, int f) {
    int W = w * f, H = h * f; unsigned char *dst = malloc((size_t)W * H * 3);
    for (int y = 0; y < H; y++) for (int x = 0; x < W; x++) {
        double sy = (y + 0.5) / f - 0.5, sx = (x + 0.5) / f - 0.5;
        sy = sy < 0 ? 0 : (sy > h - 1 ? h - 1 : sy);
        sx = sx < 0 ? 0 : (sx > w - 1 ? w - 1 : sx);
        int y0 = (int)sy, x0 = (int)sx, y1 = y0 + 1 < h ? y0 + 1 : y0, x1 = x0 + 1 < w ? x0 + 1 : x0;
        double fy = sy - y0, fx = sx - x0;
        for (int c = 0; c < 3; c++) {
            double v = (1 - fy) * ((1 - fx) * src[(y0 * w + x0) * 3 + c] + fx * src[(y0 * w + x1) * 3 + c])
                     + fy * ((1 - fx) * src[(y1 * w + x0) * 3 + c] + fx * src[(y1 * w + x1) * 3 + c]);
            dst[((size_t)y * W + x) * 3 + c] = (unsigned char)(v + 0.5);
        }
    }
    return dst;
}

typedef struct { const char *name; int level, strategy, filters; } variant;

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: %s REPEATS LABEL FILE.png [FACTOR]\n", argv[0]); return 64; }
    int reps = atoi(argv[1]);
    const char *label = argv[2];
    png_uint_32 w, h; unsigned char *rgb = load(argv[3], &w, &h);
    if (argc > 4) { int f = atoi(argv[4]); unsigned char *u = upscale(rgb, w, h, f); free(rgb); rgb = u; w *= f; h *= f; }
    variant vs[] = {
        {"L1 none", 1, Z_DEFAULT_STRATEGY, PNG_FILTER_NONE},
        {"L1 sub", 1, Z_DEFAULT_STRATEGY, PNG_FILTER_SUB},
        {"L1 up", 1, Z_DEFAULT_STRATEGY, PNG_FILTER_UP},
        {"L1 paeth", 1, Z_DEFAULT_STRATEGY, PNG_FILTER_PAETH},
        {"L1 all", 1, Z_DEFAULT_STRATEGY, PNG_ALL_FILTERS},
        {"L2 up", 2, Z_DEFAULT_STRATEGY, PNG_FILTER_UP},
        {"L2 paeth", 2, Z_DEFAULT_STRATEGY, PNG_FILTER_PAETH},
        {"L2 all", 2, Z_DEFAULT_STRATEGY, PNG_ALL_FILTERS},
        {"L3 up", 3, Z_DEFAULT_STRATEGY, PNG_FILTER_UP},
        {"L3 paeth", 3, Z_DEFAULT_STRATEGY, PNG_FILTER_PAETH},
        {"L3 all", 3, Z_DEFAULT_STRATEGY, PNG_ALL_FILTERS},
        {"L4 all filt", 4, Z_FILTERED, PNG_ALL_FILTERS},
        {"RLE up", 1, Z_RLE, PNG_FILTER_UP},
        {"RLE paeth", 1, Z_RLE, PNG_FILTER_PAETH},
        {"RLE all", 1, Z_RLE, PNG_ALL_FILTERS},
        {"L6 none (torch)", 6, Z_DEFAULT_STRATEGY, PNG_FILTER_NONE},
        {"L6 all filt (=today)", 6, Z_FILTERED, PNG_ALL_FILTERS},
    };
    // today's path: the simplified writer
    {
        png_image im = {0}; im.version = PNG_IMAGE_VERSION; im.width = w; im.height = h; im.format = PNG_FORMAT_RGB;
        png_alloc_size_t cap = PNG_IMAGE_PNG_SIZE_MAX(im); unsigned char *buf = malloc(cap);
        double best = 1e9; size_t size = 0;
        for (int r = 0; r < reps; r++) {
            png_alloc_size_t s = cap; double t = now();
            if (!png_image_write_to_memory(&im, buf, &s, 0, rgb, 0, NULL)) { fprintf(stderr, "fail\n"); return 1; }
            t = now() - t; if (t < best) best = t; size = s;
        }
        printf("%s\t%ux%u\tsimplified (today)\t%.2f ms\t%zu\n", label, w, h, best, size);
        free(buf);
    }
    for (size_t i = 0; i < sizeof vs / sizeof *vs; i++) {
        double best = 1e9; size_t size = 0; cpng_output out;
        for (int r = 0; r < reps; r++) {
            double t = now();
            if (cpng_write_rgb8(rgb, w, h, vs[i].level, vs[i].strategy, vs[i].filters, &out)) { fprintf(stderr, "%s\n", out.message); return 1; }
            t = now() - t; if (t < best) best = t; size = out.size;
            // check: decodes to the same pixels
            if (r == 0) {
                png_image im = {0}; im.version = PNG_IMAGE_VERSION;
                if (!png_image_begin_read_from_memory(&im, out.data, out.size)) { fprintf(stderr, "bad png\n"); return 1; }
                im.format = PNG_FORMAT_RGB; unsigned char *back = malloc(PNG_IMAGE_SIZE(im));
                if (!png_image_finish_read(&im, NULL, back, 0, NULL) || memcmp(back, rgb, (size_t)w * h * 3)) { fprintf(stderr, "mismatch\n"); return 1; }
                free(back);
            }
            free(out.data);
        }
        printf("%s\t%ux%u\t%s\t%.2f ms\t%zu\n", label, w, h, vs[i].name, best, size);
    }
    return 0;
}
