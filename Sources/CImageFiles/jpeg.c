// JPEG decoding through libjpeg-turbo (Debian's libjpeg62-turbo-dev). The
// library reports errors by calling error_exit, which must not return: it
// jumps back here with the message, so a bad file is an error, not an exit.
#include "cimagefiles.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

struct error_manager {
    struct jpeg_error_mgr base;
    jmp_buf back;
    char message[JMSG_LENGTH_MAX];
};

static void on_error(j_common_ptr info) {
    struct error_manager *manager = (struct error_manager *)info->err;
    (*info->err->format_message)(info, manager->message);
    longjmp(manager->back, 1);
}

static void on_warning(j_common_ptr info, int level) {
    (void)info;
    (void)level;  // corrupt-data warnings: the decoder goes on, as image viewers do
}

uint8_t *ddpm_jpeg_decode(const uint8_t *data, size_t size, int *width, int *height, int *channels,
                          char *error, size_t error_size) {
    struct jpeg_decompress_struct info;
    struct error_manager manager;
    uint8_t *volatile pixels = NULL;
    info.err = jpeg_std_error(&manager.base);
    manager.base.error_exit = on_error;
    manager.base.emit_message = on_warning;
    if (setjmp(manager.back)) {
        snprintf(error, error_size, "%s", manager.message);
        jpeg_destroy_decompress(&info);
        free(pixels);
        return NULL;
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, data, (unsigned long)size);
    jpeg_read_header(&info, TRUE);
    info.out_color_space = info.jpeg_color_space == JCS_GRAYSCALE ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&info);
    const int stride = (int)info.output_width * info.output_components;
    pixels = malloc((size_t)stride * info.output_height);
    if (!pixels) {
        snprintf(error, error_size, "out of memory for %u×%u pixels", info.output_width, info.output_height);
        jpeg_destroy_decompress(&info);
        return NULL;
    }
    while (info.output_scanline < info.output_height) {
        JSAMPROW row = pixels + (size_t)info.output_scanline * stride;
        jpeg_read_scanlines(&info, &row, 1);
    }
    *width = (int)info.output_width;
    *height = (int)info.output_height;
    *channels = info.output_components;
    jpeg_finish_decompress(&info);
    jpeg_destroy_decompress(&info);
    return pixels;
}
