// libpng for Swift. Swift reads PNGs through libpng's *simplified* API (png_image_*):
// it keeps libpng's setjmp/longjmp error handling inside libpng and reports failures
// as a return code plus png_image.message, so no longjmp ever crosses a Swift frame.
// Writing needs the full API (the simplified writer has no zlib level or filter
// choice), so the whole write, setjmp included, is one C function below
// (cpng_write_rgb8) that returns an error code and message instead.
//
// Swift cannot import function-like macros (PNG_IMAGE_SIZE, PNG_IMAGE_FAILED, ...)
// nor some composite constants (PNG_FORMAT_RGBA = PNG_FORMAT_RGB|PNG_FORMAT_FLAG_ALPHA),
// so the few we need are re-exported below as static inline functions.
#ifndef STYLEGAN_CLIBPNG_SHIM_H
#define STYLEGAN_CLIBPNG_SHIM_H

#include <png.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/// PNG_IMAGE_VERSION: the value png_image.version must hold.
static inline png_uint_32 cpng_image_version(void) { return PNG_IMAGE_VERSION; }

/// PNG_FORMAT_RGBA: 8-bit sRGB samples R, G, B, A; colour not premultiplied by alpha.
static inline png_uint_32 cpng_format_rgba8(void) { return PNG_FORMAT_RGBA; }

/// PNG_IMAGE_FLAG_16BIT_sRGB: read 16-bit files without gAMA/sRGB chunks as
/// sRGB-encoded (like 8-bit files) instead of linear, so no gamma curve is applied
/// when they are reduced to 8 bits.
static inline png_uint_32 cpng_flag_16bit_srgb(void) { return PNG_IMAGE_FLAG_16BIT_sRGB; }

/// PNG_IMAGE_ROW_STRIDE(*image): samples per row for image->format.
static inline png_uint_32 cpng_image_row_stride(const png_image *image) {
    return PNG_IMAGE_ROW_STRIDE(*image);
}

/// PNG_IMAGE_SIZE(*image): bytes needed for the whole image in image->format.
static inline size_t cpng_image_size(const png_image *image) {
    return (size_t)PNG_IMAGE_SIZE(*image);
}

/// PNG_IMAGE_FAILED(*image): nonzero when an error (not just a warning) occurred.
static inline int cpng_image_failed(const png_image *image) {
    return PNG_IMAGE_FAILED(*image);
}

/// The output of cpng_write_rgb8: `data` (malloc'd, owned by the caller after a
/// successful call) holds `size` bytes; `message` describes a failure.
typedef struct {
    unsigned char *data;
    size_t size;
    size_t capacity;
    size_t limit;        // upper bound on the whole file: growth stops here
    char message[128];
} cpng_output;

/// libpng's error callback: keep the message, then unwind to cpng_write_rgb8's setjmp.
static void cpng_write_error(png_structp png, png_const_charp text) {
    cpng_output *out = (cpng_output *)png_get_error_ptr(png);
    strncpy(out->message, text ? text : "unknown error", sizeof out->message - 1);
    out->message[sizeof out->message - 1] = 0;
    png_longjmp(png, 1);
}

/// Warnings (none are expected when writing) are ignored rather than printed.
static void cpng_write_warning(png_structp png, png_const_charp text) { (void)png; (void)text; }

/// libpng's write callback: append to out->data, doubling the buffer as needed but
/// never past out->limit (libpng's own worst case for the image, so never reached).
static void cpng_write_bytes(png_structp png, png_bytep bytes, size_t length) {
    cpng_output *out = (cpng_output *)png_get_io_ptr(png);
    if (length > out->limit - out->size) png_error(png, "output exceeds the worst-case PNG size");
    if (length > out->capacity - out->size) {
        size_t capacity = out->capacity * 2;
        if (capacity < out->size + length) capacity = out->size + length;
        if (capacity > out->limit) capacity = out->limit;
        unsigned char *grown = (unsigned char *)realloc(out->data, capacity);
        if (!grown) png_error(png, "out of memory for the PNG output");
        out->data = grown;
        out->capacity = capacity;
    }
    memcpy(out->data + out->size, bytes, length);
    out->size += length;
}

static void cpng_flush(png_structp png) { (void)png; }

/// The most bytes cpng_write_rgb8 may write for a width x height image: libpng's
/// PNG_IMAGE_PNG_SIZE_MAX for 8-bit RGB, computed in 64 bits (the macro multiplies
/// width and height as png_uint_32 and wraps from 4 GiB of samples on).
static inline size_t cpng_write_limit(png_uint_32 width, png_uint_32 height) {
    unsigned long long data = ((unsigned long long)width * 3 + 1) * height;   // filter byte + samples per row
    unsigned long long zlib = data + ((data + 7) >> 3) + ((data + 63) >> 6) + 11;   // PNG_ZLIB_MAX_SIZE
    unsigned long long chunks = 8 + 25 + 16 + 44 + 12 + 12 + 12 * (zlib / PNG_ZBUF_SIZE);
    unsigned long long total = chunks + zlib;
    return total > (unsigned long long)SIZE_MAX ? SIZE_MAX : (size_t)total;
}

/// Writes an 8-bit RGB PNG (non-interlaced, with an sRGB chunk as libpng's simplified
/// writer adds) of `rgb` (height rows of 3 * width bytes) with zlib level `level`,
/// zlib strategy `strategy` (Z_DEFAULT_STRATEGY, Z_FILTERED, Z_RLE, ...) and the row
/// filter mask `filters` (PNG_FILTER_NONE | PNG_FILTER_SUB | ...: libpng picks one per
/// row among them). Returns 0 with out->data / out->size set, or -1 with out->data NULL
/// and out->message set. Output depends only on the arguments (no threads, no clock).
/// The caller frees out->data.
static inline int cpng_write_rgb8(const unsigned char *rgb, png_uint_32 width, png_uint_32 height,
                                  int level, int strategy, int filters, cpng_output *out) {
    memset(out, 0, sizeof *out);
    out->limit = cpng_write_limit(width, height);
    // Start at a quarter of the raw size (a typical level-1 result lies between an
    // eighth and a third of it); the callback doubles from there.
    out->capacity = (size_t)width * 3 * height / 4 + 4096;
    if (out->capacity > out->limit) out->capacity = out->limit;
    out->data = (unsigned char *)malloc(out->capacity);
    if (!out->data) {
        strcpy(out->message, "out of memory for the PNG output");
        return -1;
    }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, out, cpng_write_error, cpng_write_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, NULL);
        free(out->data);
        out->data = NULL;
        strcpy(out->message, "libpng could not allocate its write state");
        return -1;
    }
    // Every libpng call after this point may longjmp back here. Nothing that changes
    // after setjmp lives in a local: `out` is behind a pointer, `png`/`info` are fixed.
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(out->data);
        out->data = NULL;
        out->size = 0;
        return -1;
    }
    png_set_write_fn(png, out, cpng_write_bytes, cpng_flush);
    png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_BASE, PNG_FILTER_TYPE_BASE);
    png_set_sRGB(png, info, PNG_sRGB_INTENT_PERCEPTUAL);
    png_set_compression_level(png, level);
    png_set_compression_strategy(png, strategy);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, filters);
    png_write_info(png, info);
    size_t stride = (size_t)width * 3;
    for (png_uint_32 y = 0; y < height; y++) png_write_row(png, rgb + (size_t)y * stride);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return 0;
}

#endif
