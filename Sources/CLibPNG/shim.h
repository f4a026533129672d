// libpng for Swift. Only libpng's *simplified* API (png_image_*) is used from Swift:
// it keeps libpng's setjmp/longjmp error handling inside libpng and reports failures
// as a return code plus png_image.message, so no longjmp ever crosses a Swift frame.
//
// Swift cannot import function-like macros (PNG_IMAGE_SIZE, PNG_IMAGE_FAILED, ...)
// nor some composite constants (PNG_FORMAT_RGBA = PNG_FORMAT_RGB|PNG_FORMAT_FLAG_ALPHA),
// so the few we need are re-exported below as static inline functions.
#ifndef STYLEGAN_CLIBPNG_SHIM_H
#define STYLEGAN_CLIBPNG_SHIM_H

#include <png.h>
#include <stddef.h>

/// PNG_IMAGE_VERSION: the value png_image.version must hold.
static inline png_uint_32 cpng_image_version(void) { return PNG_IMAGE_VERSION; }

/// PNG_FORMAT_RGBA: 8-bit sRGB samples R, G, B, A; colour not premultiplied by alpha.
static inline png_uint_32 cpng_format_rgba8(void) { return PNG_FORMAT_RGBA; }

/// PNG_FORMAT_RGB: 8-bit sRGB samples R, G, B.
static inline png_uint_32 cpng_format_rgb8(void) { return PNG_FORMAT_RGB; }

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

/// PNG_IMAGE_PNG_SIZE_MAX(*image): bytes that always hold the PNG of an image of
/// image->format (the worst case of zlib's stored blocks plus every chunk), so one
/// png_image_write_to_memory call suffices.
static inline size_t cpng_png_size_max(const png_image *image) {
    return (size_t)PNG_IMAGE_PNG_SIZE_MAX(*image);
}

/// PNG_IMAGE_FAILED(*image): nonzero when an error (not just a warning) occurred.
static inline int cpng_image_failed(const png_image *image) {
    return PNG_IMAGE_FAILED(*image);
}

#endif
