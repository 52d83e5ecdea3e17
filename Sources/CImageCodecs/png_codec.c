#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <png.h>
#include "image_codecs.h"

struct hs_png_decoder {
    png_structp png;
    png_infop info;
    const uint8_t *data;
    size_t length;
    size_t offset;
    int truncated;
    char message[200];
};

static void hs_png_set_status(hs_codec_status *status, hs_codec_code code, const char *message) {
    if (!status) return;
    status->code = code;
    snprintf(status->message, sizeof status->message, "%s", message);
}

// libpng's default error handler prints and aborts; ours records the message and jumps back.
static void hs_png_error(png_structp png, png_const_charp message) {
    hs_png_decoder *decoder = png_get_error_ptr(png);
    snprintf(decoder->message, sizeof decoder->message, "%s", message);
    png_longjmp(png, 1);
}

static void hs_png_warning(png_structp png, png_const_charp message) {
    (void)png; (void)message;  // benign (e.g. unknown chunks); errors come through hs_png_error
}

static void hs_png_read(png_structp png, png_bytep out, size_t count) {
    hs_png_decoder *decoder = png_get_io_ptr(png);
    if (count > decoder->length - decoder->offset) {
        decoder->truncated = 1;
        png_error(png, "premature end of PNG data");
    }
    memcpy(out, decoder->data + decoder->offset, count);
    decoder->offset += count;
}

static void hs_png_fail(hs_png_decoder *decoder, hs_codec_status *status) {
    hs_png_set_status(status, decoder->truncated ? HS_CODEC_TRUNCATED : HS_CODEC_CORRUPT,
                      decoder->message);
}

hs_png_decoder *hs_png_open(const uint8_t *data, size_t length,
                            uint32_t *width, uint32_t *height, hs_codec_status *status) {
    hs_png_decoder *decoder = calloc(1, sizeof *decoder);
    if (!decoder) { hs_png_set_status(status, HS_CODEC_NO_MEMORY, "out of memory"); return NULL; }
    decoder->data = data;
    decoder->length = length;
    decoder->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, decoder, hs_png_error, hs_png_warning);
    if (decoder->png) decoder->info = png_create_info_struct(decoder->png);
    if (!decoder->png || !decoder->info) {
        png_destroy_read_struct(&decoder->png, NULL, NULL);
        free(decoder);
        hs_png_set_status(status, HS_CODEC_NO_MEMORY, "out of memory");
        return NULL;
    }
    if (setjmp(png_jmpbuf(decoder->png))) {
        hs_png_fail(decoder, status);
        hs_png_close(decoder);
        return NULL;
    }
    png_set_read_fn(decoder->png, decoder, hs_png_read);
    png_read_info(decoder->png, decoder->info);
    *width = png_get_image_width(decoder->png, decoder->info);
    *height = png_get_image_height(decoder->png, decoder->info);
    hs_png_set_status(status, HS_CODEC_OK, "");
    return decoder;
}

int hs_png_read_rgb(hs_png_decoder *decoder, uint8_t *dst, hs_codec_status *status) {
    png_structp png = decoder->png;
    png_infop info = decoder->info;
    if (setjmp(png_jmpbuf(png))) {
        hs_png_fail(decoder, status);
        return status ? status->code : HS_CODEC_CORRUPT;
    }
    png_byte type = png_get_color_type(png, info);
    png_byte depth = png_get_bit_depth(png, info);
    if (type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (type == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (depth == 16) png_set_strip_16(png);
    // Expanding a palette also turns tRNS into an alpha channel: drop alpha in both cases.
    if ((type & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS)) png_set_strip_alpha(png);
    if (type == PNG_COLOR_TYPE_GRAY || type == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    const size_t stride = (size_t)png_get_image_width(png, info) * 3;
    const uint32_t height = png_get_image_height(png, info);
    if (png_get_rowbytes(png, info) != stride) {
        hs_png_set_status(status, HS_CODEC_UNSUPPORTED, "PNG colour layout could not be reduced to RGB8");
        return HS_CODEC_UNSUPPORTED;
    }
    png_bytep *rows = malloc(sizeof(png_bytep) * height);
    if (!rows) { hs_png_set_status(status, HS_CODEC_NO_MEMORY, "out of memory"); return HS_CODEC_NO_MEMORY; }
    for (uint32_t y = 0; y < height; y++) rows[y] = dst + (size_t)y * stride;
    // png_read_image may longjmp: a second landing point frees `rows` (set before it, never after).
    if (setjmp(png_jmpbuf(png))) {
        free(rows);
        hs_png_fail(decoder, status);
        return status ? status->code : HS_CODEC_CORRUPT;
    }
    png_read_image(png, rows);
    free(rows);
    hs_png_set_status(status, HS_CODEC_OK, "");
    return HS_CODEC_OK;
}

void hs_png_close(hs_png_decoder *decoder) {
    if (!decoder) return;
    png_destroy_read_struct(&decoder->png, &decoder->info, NULL);
    free(decoder);
}

// Encoding: the rows go to a growing memory buffer; errors (only out of memory, in practice)
// come back by longjmp like the decoder's.
typedef struct {
    uint8_t *data;
    size_t length;
    size_t capacity;
    int failed;
    char message[200];
} hs_png_sink;

static void hs_png_sink_error(png_structp png, png_const_charp message) {
    hs_png_sink *sink = png_get_error_ptr(png);
    snprintf(sink->message, sizeof sink->message, "%s", message);
    png_longjmp(png, 1);
}

static void hs_png_write(png_structp png, png_bytep bytes, size_t count) {
    hs_png_sink *sink = png_get_io_ptr(png);
    if (sink->length + count > sink->capacity) {
        size_t capacity = sink->capacity ? sink->capacity : 65536;
        while (capacity < sink->length + count) capacity *= 2;
        uint8_t *grown = realloc(sink->data, capacity);
        if (!grown) { sink->failed = 1; png_error(png, "out of memory"); }
        sink->data = grown;
        sink->capacity = capacity;
    }
    memcpy(sink->data + sink->length, bytes, count);
    sink->length += count;
}

static void hs_png_flush(png_structp png) { (void)png; }

int hs_png_encode_rgb(const uint8_t *rgb, uint32_t width, uint32_t height,
                      uint8_t **out, size_t *out_length, hs_codec_status *status) {
    hs_png_sink sink;
    memset(&sink, 0, sizeof sink);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &sink, hs_png_sink_error, hs_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, &info);
        hs_png_set_status(status, HS_CODEC_NO_MEMORY, "out of memory");
        return HS_CODEC_NO_MEMORY;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(sink.data);
        hs_png_set_status(status, sink.failed ? HS_CODEC_NO_MEMORY : HS_CODEC_CORRUPT, sink.message);
        return sink.failed ? HS_CODEC_NO_MEMORY : HS_CODEC_CORRUPT;
    }
    png_set_write_fn(png, &sink, hs_png_write, hs_png_flush);
    png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    const size_t stride = (size_t)width * 3;
    for (uint32_t y = 0; y < height; y++) png_write_row(png, (png_const_bytep)(rgb + (size_t)y * stride));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    *out = sink.data;
    *out_length = sink.length;
    hs_png_set_status(status, HS_CODEC_OK, "");
    return HS_CODEC_OK;
}
