#pragma once
#include <png.h>

// PNG_FORMAT_RGBA is a macro expression Swift does not import.
static const unsigned int ddpm_png_format_rgba = PNG_FORMAT_RGBA;
static const int ddpm_png_color_type_palette = PNG_COLOR_TYPE_PALETTE;
static const unsigned int ddpm_png_format_gray = PNG_FORMAT_GRAY;
