// JPEG decoding through libjpeg(-turbo), with libjpeg's longjmp error path kept in C.
#ifndef CJPEG_H
#define CJPEG_H
#include <stddef.h>

/// Decodes a JPEG held in memory to 8-bit RGB (gray is expanded to RGB).
/// An image of more than max_pixels pixels is decoded scaled down by libjpeg (1/2, 1/4
/// or 1/8, the least that fits); one that does not fit even at 1/8 is refused before
/// any pixel memory is allocated. With rgb NULL only the header is read and the
/// (scaled) output size reported.
/// On success returns 0, sets *width, *height and *rgb (malloc'd, width*height*3 bytes,
/// row-major; free with cj_free). On failure returns -1 and writes a message to err.
int cj_decode_jpeg(const unsigned char *data, size_t size, int max_side, long long max_pixels,
                   int *width, int *height, unsigned char **rgb, char *err, size_t err_len);
void cj_free(void *p);
#endif
