#include "CJPEG.h"
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf escape;
    char message[JMSG_LENGTH_MAX];
} error_mgr;

static void on_error(j_common_ptr cinfo) {
    error_mgr *e = (error_mgr *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, e->message);
    longjmp(e->escape, 1);
}

// Warnings (e.g. "Premature end of JPEG file" for a truncated file, which libjpeg would
// otherwise pad with gray) are kept, not printed, and turn the decode into an error.
static void on_message(j_common_ptr cinfo) {
    error_mgr *e = (error_mgr *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, e->message);
}

void cj_free(void *p) { free(p); }

// Memory bounds of one decode: the coefficient buffers of a progressive file, and
// everything libjpeg allocates (it fails rather than exceed it: there is no backing store).
#define CJ_MAX_COEFFICIENT_BYTES (768 << 20)
#define CJ_MAX_MEMORY_BYTES (1024L << 20)
#define CJ_MAX_SCANS 64

int cj_decode_jpeg(const unsigned char *data, size_t size, int max_side, long long max_pixels,
                   int *width, int *height, unsigned char **rgb, char *err, size_t err_len) {
    struct jpeg_decompress_struct cinfo;
    error_mgr jerr;
    unsigned char *volatile out = NULL;
    if (rgb) *rgb = NULL;
    memset(&cinfo, 0, sizeof cinfo);
    cinfo.err = jpeg_std_error(&jerr.base);
    jerr.message[0] = 0;
    jerr.base.error_exit = on_error;
    jerr.base.output_message = on_message;
    if (setjmp(jerr.escape)) {
        snprintf(err, err_len, "%s", jerr.message);
        jpeg_destroy_decompress(&cinfo);
        free(out);
        return -1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    if ((int)cinfo.image_width > max_side || (int)cinfo.image_height > max_side) {
        snprintf(err, err_len, "image is %ux%u, more than %d pixels per side",
                 cinfo.image_width, cinfo.image_height, max_side);
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    // A progressive (multi-scan) file keeps every DCT coefficient of the full-size image
    // in memory, about 2 bytes per pixel per component, whatever the output scale
    // (a 345-byte file claiming 28276x21833 asked for 3.7 GB; found by tools/fuzz).
    const long long blocks = (((long long)cinfo.image_width + 7) / 8) * (((long long)cinfo.image_height + 7) / 8);
    if (cinfo.progressive_mode && blocks * 64 * 2 * cinfo.num_components > CJ_MAX_COEFFICIENT_BYTES) {
        snprintf(err, err_len, "progressive image is %ux%u: its coefficients would need %lld MB, over the %d MB limit",
                 cinfo.image_width, cinfo.image_height, blocks * 128 * cinfo.num_components >> 20, CJ_MAX_COEFFICIENT_BYTES >> 20);
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    // Each scan of a progressive file is a pass over the whole coefficient buffer: a file
    // of thousands of empty scans takes minutes (found by adversarial testing). Real
    // files have about ten; SOS markers cannot occur inside entropy-coded data (0xFF is
    // stuffed as 0xFF00 there), so counting them is exact.
    if (cinfo.progressive_mode) {
        long scans = 0;
        for (size_t i = 0; i + 1 < size; i++) scans += data[i] == 0xFF && data[i + 1] == 0xDA;
        if (scans > CJ_MAX_SCANS) {
            snprintf(err, err_len, "progressive image has %ld scans, more than the %d a real file needs", scans, CJ_MAX_SCANS);
            jpeg_destroy_decompress(&cinfo);
            return -1;
        }
    }
    cinfo.mem->max_memory_to_use = CJ_MAX_MEMORY_BYTES;   // libjpeg refuses anything larger
    // Scale large images down while decoding (DCT scaling: no full-size buffer at all).
    unsigned denom = 1;
    while (denom <= 8) {
        long long w = ((long long)cinfo.image_width + denom - 1) / denom;
        long long h = ((long long)cinfo.image_height + denom - 1) / denom;
        if (w * h <= max_pixels) break;
        denom *= 2;
    }
    if (denom > 8) {
        snprintf(err, err_len, "image is %ux%u, more than %lld pixels even at 1/8 scale",
                 cinfo.image_width, cinfo.image_height, max_pixels);
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    cinfo.scale_num = 1;
    cinfo.scale_denom = denom;
    cinfo.out_color_space = JCS_RGB;
    jpeg_calc_output_dimensions(&cinfo);
    if (!rgb) {   // header only
        *width = (int)cinfo.output_width;
        *height = (int)cinfo.output_height;
        jpeg_destroy_decompress(&cinfo);
        return 0;
    }
    jpeg_start_decompress(&cinfo);
    const size_t stride = (size_t)cinfo.output_width * 3;
    out = (unsigned char *)malloc(stride * cinfo.output_height);
    if (!out) {
        snprintf(err, err_len, "out of memory");
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        unsigned char *row = out + stride * cinfo.output_scanline;
        jpeg_read_scanlines(&cinfo, &row, 1);
        if (jerr.base.num_warnings > 0) break;   // corrupt or truncated: no need to pad the rest with gray
    }
    if (jerr.base.num_warnings == 0) jpeg_finish_decompress(&cinfo);
    if (jerr.base.num_warnings > 0) {
        snprintf(err, err_len, "corrupt or truncated data: %s", jerr.message);
        jpeg_destroy_decompress(&cinfo);
        free(out);
        return -1;
    }
    *width = (int)cinfo.output_width;
    *height = (int)cinfo.output_height;
    *rgb = out;
    jpeg_destroy_decompress(&cinfo);
    return 0;
}
