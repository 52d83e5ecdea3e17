#include <setjmp.h>
#include <stdio.h>   // jpeglib.h needs FILE and size_t declared first (docs/ARCHITECTURE.md, Platform notes 6)
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>
#include "image_codecs.h"

// libjpeg's default error_exit calls exit(); ours jumps back to the decoder call instead.
typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf escape;
    int truncated;  // libjpeg only *warns* at a premature end and pads the image with grey
} hs_jpeg_error;

struct hs_jpeg_decoder {
    struct jpeg_decompress_struct info;
    hs_jpeg_error error;
};

static void hs_jpeg_error_exit(j_common_ptr info) {
    hs_jpeg_error *error = (hs_jpeg_error *)info->err;
    longjmp(error->escape, 1);
}

static void hs_jpeg_emit_message(j_common_ptr info, int level) {
    hs_jpeg_error *error = (hs_jpeg_error *)info->err;
    if (level < 0 && error->base.msg_code == JWRN_JPEG_EOF) error->truncated = 1;
    // Other warnings (extraneous bytes and the like) still decode to a usable image.
}

static void hs_set_status(hs_codec_status *status, hs_codec_code code, const char *message) {
    if (!status) return;
    status->code = code;
    snprintf(status->message, sizeof status->message, "%s", message);
}

static void hs_set_jpeg_status(hs_codec_status *status, j_common_ptr info) {
    char buffer[JMSG_LENGTH_MAX];
    info->err->format_message(info, buffer);
    hs_codec_code code = HS_CODEC_CORRUPT;
    if (info->err->msg_code == JERR_OUT_OF_MEMORY) code = HS_CODEC_NO_MEMORY;
    if (info->err->msg_code == JERR_INPUT_EMPTY || info->err->msg_code == JERR_INPUT_EOF)
        code = HS_CODEC_TRUNCATED;
    // Data that ends inside the headers surfaces as a structural error ("missing SOS
    // marker") after the end-of-data warning: the cause is the truncation, say so.
    if (((hs_jpeg_error *)info->err)->truncated) {
        char detail[JMSG_LENGTH_MAX + 40];
        snprintf(detail, sizeof detail, "premature end of JPEG data (%s)", buffer);
        hs_set_status(status, HS_CODEC_TRUNCATED, detail);
        return;
    }
    hs_set_status(status, code, buffer);
}

hs_jpeg_decoder *hs_jpeg_open(const uint8_t *data, size_t length,
                              uint32_t *width, uint32_t *height, hs_codec_status *status) {
    hs_jpeg_decoder *decoder = calloc(1, sizeof *decoder);
    if (!decoder) { hs_set_status(status, HS_CODEC_NO_MEMORY, "out of memory"); return NULL; }
    decoder->info.err = jpeg_std_error(&decoder->error.base);
    decoder->error.base.error_exit = hs_jpeg_error_exit;
    decoder->error.base.emit_message = hs_jpeg_emit_message;
    if (setjmp(decoder->error.escape)) {
        hs_set_jpeg_status(status, (j_common_ptr)&decoder->info);
        jpeg_destroy_decompress(&decoder->info);
        free(decoder);
        return NULL;
    }
    jpeg_create_decompress(&decoder->info);
    jpeg_mem_src(&decoder->info, data, (unsigned long)length);
    jpeg_read_header(&decoder->info, TRUE);
    if (decoder->info.jpeg_color_space == JCS_CMYK || decoder->info.jpeg_color_space == JCS_YCCK) {
        hs_set_status(status, HS_CODEC_UNSUPPORTED, "CMYK JPEG is not supported");
        jpeg_destroy_decompress(&decoder->info);
        free(decoder);
        return NULL;
    }
    decoder->info.out_color_space = JCS_RGB;  // greyscale becomes RGB too
    *width = decoder->info.image_width;
    *height = decoder->info.image_height;
    hs_set_status(status, HS_CODEC_OK, "");
    return decoder;
}

int hs_jpeg_read_rgb(hs_jpeg_decoder *decoder, uint8_t *dst, hs_codec_status *status) {
    if (setjmp(decoder->error.escape)) {
        hs_set_jpeg_status(status, (j_common_ptr)&decoder->info);
        return status ? status->code : HS_CODEC_CORRUPT;
    }
    jpeg_start_decompress(&decoder->info);
    const size_t stride = (size_t)decoder->info.output_width * 3;
    while (decoder->info.output_scanline < decoder->info.output_height) {
        JSAMPROW row = dst + (size_t)decoder->info.output_scanline * stride;
        jpeg_read_scanlines(&decoder->info, &row, 1);
        if (decoder->error.truncated) break;
    }
    if (decoder->error.truncated) {
        hs_set_status(status, HS_CODEC_TRUNCATED, "premature end of JPEG data");
        return HS_CODEC_TRUNCATED;
    }
    jpeg_finish_decompress(&decoder->info);
    if (decoder->error.truncated) {
        hs_set_status(status, HS_CODEC_TRUNCATED, "premature end of JPEG data");
        return HS_CODEC_TRUNCATED;
    }
    hs_set_status(status, HS_CODEC_OK, "");
    return HS_CODEC_OK;
}

void hs_jpeg_close(hs_jpeg_decoder *decoder) {
    if (!decoder) return;
    jpeg_destroy_decompress(&decoder->info);
    free(decoder);
}

int hs_jpeg_encode_rgb(const uint8_t *rgb, uint32_t width, uint32_t height, int quality,
                       uint8_t **out, size_t *out_length, hs_codec_status *status) {
    struct jpeg_compress_struct info;
    hs_jpeg_error error;
    memset(&error, 0, sizeof error);
    unsigned char *buffer = NULL;
    unsigned long length = 0;
    info.err = jpeg_std_error(&error.base);
    error.base.error_exit = hs_jpeg_error_exit;
    error.base.emit_message = hs_jpeg_emit_message;
    if (setjmp(error.escape)) {
        hs_set_jpeg_status(status, (j_common_ptr)&info);
        jpeg_destroy_compress(&info);
        free(buffer);
        return status ? status->code : HS_CODEC_CORRUPT;
    }
    jpeg_create_compress(&info);
    jpeg_mem_dest(&info, &buffer, &length);
    info.image_width = width;
    info.image_height = height;
    info.input_components = 3;
    info.in_color_space = JCS_RGB;
    jpeg_set_defaults(&info);
    jpeg_set_quality(&info, quality, TRUE);
    jpeg_start_compress(&info, TRUE);
    const size_t stride = (size_t)width * 3;
    while (info.next_scanline < info.image_height) {
        JSAMPROW row = (JSAMPROW)(rgb + (size_t)info.next_scanline * stride);
        jpeg_write_scanlines(&info, &row, 1);
    }
    jpeg_finish_compress(&info);
    jpeg_destroy_compress(&info);
    *out = buffer;
    *out_length = (size_t)length;
    hs_set_status(status, HS_CODEC_OK, "");
    return HS_CODEC_OK;
}

void hs_codec_free(void *pointer) { free(pointer); }
