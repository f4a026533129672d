// JPEG decoding through libjpeg(-turbo), with libjpeg's longjmp error path kept in C.
#ifndef CJPEG_H
#define CJPEG_H
#include <stddef.h>

/// Decodes a JPEG held in memory to 8-bit RGB (gray is expanded to RGB).
/// On success returns 0, sets *width, *height and *rgb (malloc'd, width*height*3 bytes,
/// row-major; free with cj_free). On failure returns -1 and writes a message to err.
int cj_decode_jpeg(const unsigned char *data, size_t size, int max_side,
                   int *width, int *height, unsigned char **rgb, char *err, size_t err_len);
void cj_free(void *p);
#endif
