// The inner loops of TensorCore's operations on images, in C: the compiler
// vectorises them (Swift does not, where pointers may alias) and they run
// without Swift's bounds and overflow checks. Called only by TensorCore.
#pragma once
#include <stddef.h>

/// The geometry of a 2-D convolution: C input channels of H×W, a KH×KW
/// kernel, stride and zero padding; the output is OH×OW.
typedef struct {
    int channels, height, width;
    int kernel_height, kernel_width;
    int stride, padding;
    int out_height, out_width;
} ddpm_conv_geometry;

/// Unfolds one image [C, H, W] into its columns of the matrix
/// [C·KH·KW, ld]: row (c, i, j), column oh·OW + ow holds
/// image[c, oh·s − p + i, ow·s − p + j], or 0 in the padding. The image's
/// OH·OW columns start at `columns`; consecutive rows are `ld` apart, so that
/// several images can sit side by side in one matrix.
void ddpm_im2col(const float *image, const ddpm_conv_geometry *g, float *columns, size_t ld);

/// The adjoint of ddpm_im2col: adds every entry of the columns back onto the
/// image pixel it was read from.
void ddpm_col2im(const float *columns, size_t ld, const ddpm_conv_geometry *g, float *image);

/// A 2-D convolution for oneDNN: input [n, c, h, w], weight [o, c, kh, kw],
/// output [n, o, oh, ow], with stride and padding `pad` before and
/// `pad_bottom`/`pad_right` after (they differ for a transposed convolution
/// with output padding).
typedef struct {
    int n, c, h, w;
    int o, kh, kw;
    int oh, ow;
    int stride, pad, pad_bottom, pad_right;
} ddpm_conv_shape;

/// y = conv2d(x, weight) + bias (bias may be NULL), all in PyTorch's plain
/// NCHW / OIHW layouts, through oneDNN on all cores. Returns 0, or -1 when
/// oneDNN cannot do it (the caller then uses im2col).
int ddpm_conv2d_forward(const ddpm_conv_shape *s, const float *x, const float *weight, const float *bias, float *y);

/// gx = ∂L/∂x of a convolution given gy = ∂L/∂y (overwrites gx). Returns 0 or -1.
int ddpm_conv2d_backward_data(const ddpm_conv_shape *s, const float *gy, const float *weight, float *gx);

/// gw = ∂L/∂W (overwrites gw) and, when gb is not NULL, gb = ∂L/∂b, given x and
/// gy. Returns 0 or -1.
int ddpm_conv2d_backward_weights(const ddpm_conv_shape *s, const float *x, const float *gy, float *gw, float *gb);

/// Whether the convolutions run through oneDNN: 1 unless DDPM_CONV=im2col is
/// set in the environment (for comparisons) or oneDNN failed to start.
int ddpm_conv_uses_onednn(void);
