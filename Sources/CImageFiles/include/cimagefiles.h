#pragma once
#include <stddef.h>
#include <stdint.h>

/// Decodes a JPEG file's bytes with libjpeg-turbo into 8-bit pixels, rows
/// top to bottom, `*channels` per pixel (1 for grayscale, 3 for RGB, from
/// YCbCr or RGB files; CMYK files fail with the library's "Unsupported color
/// conversion request"). Returns a buffer to free with free(), or NULL with
/// the library's message in `error`.
uint8_t *ddpm_jpeg_decode(const uint8_t *data, size_t size, int *width, int *height, int *channels,
                          char *error, size_t error_size);
