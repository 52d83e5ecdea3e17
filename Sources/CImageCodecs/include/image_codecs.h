// Image codecs that must live in C: libjpeg and libpng report errors by longjmp, and
// setjmp cannot be used from Swift (docs/ARCHITECTURE.md, Platform notes 6). Each decoder is opened on an
// in-memory file, which reads only the header, so the caller can check the declared
// size before it allocates anything, then reads RGB8 pixels into the caller's buffer.
#ifndef HASHSCOPE_IMAGE_CODECS_H
#define HASHSCOPE_IMAGE_CODECS_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    HS_CODEC_OK = 0,
    HS_CODEC_CORRUPT = 1,    // the data is not a valid image of this format
    HS_CODEC_TRUNCATED = 2,  // the data ends before the image does
    HS_CODEC_NO_MEMORY = 3,
    HS_CODEC_UNSUPPORTED = 4 // valid, but a variant we do not decode (e.g. CMYK JPEG)
} hs_codec_code;

typedef struct {
    hs_codec_code code;
    char message[200];
} hs_codec_status;

// JPEG (libjpeg-turbo). Output is always RGB8; greyscale is expanded.
typedef struct hs_jpeg_decoder hs_jpeg_decoder;
hs_jpeg_decoder *hs_jpeg_open(const uint8_t *data, size_t length,
                              uint32_t *width, uint32_t *height, hs_codec_status *status);
// dst holds width * height * 3 bytes.
int hs_jpeg_read_rgb(hs_jpeg_decoder *decoder, uint8_t *dst, hs_codec_status *status);
void hs_jpeg_close(hs_jpeg_decoder *decoder);

// Encodes RGB8 pixels as a baseline JPEG; *out is malloc'ed, release it with hs_codec_free.
int hs_jpeg_encode_rgb(const uint8_t *rgb, uint32_t width, uint32_t height, int quality,
                       uint8_t **out, size_t *out_length, hs_codec_status *status);

// PNG (libpng 1.6). Palette, grey, 16-bit and alpha are all reduced to RGB8
// (alpha is dropped, not composited: hashing models see the colour channels).
typedef struct hs_png_decoder hs_png_decoder;
hs_png_decoder *hs_png_open(const uint8_t *data, size_t length,
                            uint32_t *width, uint32_t *height, hs_codec_status *status);
int hs_png_read_rgb(hs_png_decoder *decoder, uint8_t *dst, hs_codec_status *status);
void hs_png_close(hs_png_decoder *decoder);

// Encodes RGB8 pixels as an 8-bit RGB PNG; *out is malloc'ed, release it with hs_codec_free.
int hs_png_encode_rgb(const uint8_t *rgb, uint32_t width, uint32_t height,
                      uint8_t **out, size_t *out_length, hs_codec_status *status);

void hs_codec_free(void *pointer);

#endif
