// The inner loops of TensorCore's operations on images, in C: the compiler
// vectorises them (Swift does not, where pointers may alias) and they run
// without Swift's bounds and overflow checks. Called only by TensorCore.
#pragma once
#include <stddef.h>
#include <stdint.h>

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

/// Where the convolutions' reordered tensors get their memory from (the
/// tensors' own cache of blocks), so that it is shared rather than held.
void ddpm_set_block_allocator(void *(*allocate)(size_t bytes), void (*release)(void *pointer, size_t bytes));

/// C = op(A)·op(B) (+ bias) (+ C when `accumulate`) (then ReLU) for
/// row-major matrices, op(A) m×k, op(B) k×n, C m×n, bias [n] or NULL, as one
/// oneDNN matmul with the bias, the sum and the ReLU in its output pass
/// (y = x·Wᵀ + b is A = x, B = W transposed), on all cores or, with
/// `single_thread`, on this one. Returns 0, or -1 when oneDNN cannot do it
/// (the caller then uses sgemm).
int ddpm_matmul(int transpose_a, int transpose_b, size_t m, size_t n, size_t k, const float *a, const float *b,
                const float *bias, int accumulate, int relu, int single_thread, float *c);

/// C = op(A)·op(B) (+ C with `accumulate`) (+ bias[l]) (+ table[indices[i]][l])
/// (then ReLU), for products one core's caches hold: A is [m, k] or, with
/// `transpose_a`, given as [k, m]; B is [k, n] or, with `transpose_b` (a
/// weight W for x·Wᵀ), given as [n, k]; C [m, n]; all row-major. `table`
/// (NULL: none) has rows of n values. On the calling thread or, with
/// `both_cores`, shared among OpenMP's threads by C's panels of 64 columns
/// (by its rows in blocks of four for `transpose_a`, or when there are fewer
/// panels than threads): every element is summed in the same order either
/// way, so the result is the same to the bit. Terms whose element of A is
/// zero are left out where a block of four rows has at most 3/4 nonzero
/// (after a ReLU), with the same bits as multiplying them for a finite B
/// (an infinite or NaN element of B times such a zero gives no NaN).
/// Returns -1, having done nothing, when both operands are transposed, n
/// (and k with `transpose_b`) is not a multiple of 16, the CPU has no
/// AVX-512 or there is no memory.
int ddpm_small_product(int transpose_a, int transpose_b, size_t m, size_t n, size_t k, const float *a, const float *b,
                       const float *bias, const float *table, const long *indices, int accumulate, int relu,
                       int both_cores, float *c);

/// Whether `ddpm_small_product` takes a product of this layout and shape
/// on this CPU (n, and k with `transpose_b`, multiples of 16; not both
/// operands transposed; AVX-512).
int ddpm_small_product_fits(int transpose_a, int transpose_b, size_t m, size_t n, size_t k);

/// One product's terms for `ddpm_small_products_side_by_side`, as
/// `ddpm_small_product` takes them.
typedef struct {
    int transpose_a, transpose_b;
    size_t m, n, k;
    const float *a, *b, *bias, *table;
    const long *indices;
    int accumulate, relu;
    float *c;
} ddpm_product;

/// Two independent products through `ddpm_small_product`'s loop, each whole
/// on one core: with `both_cores` the first on the calling thread and the
/// second on the next of OpenMP's threads at the same time (a layer's
/// ∂L/∂x = g·W and ∂L/∂W = gᵀ·x), else one after the other here. Each is
/// summed in the order of the one-core loop, so the results have the same
/// bits either way. Returns the OpenMP thread that computed the second (0
/// or 1), or -1, having done nothing, when either does not fit
/// (`ddpm_small_product_fits`) or there is no memory.
int ddpm_small_products_side_by_side(const ddpm_product *first, const ddpm_product *second, int both_cores);

/// The inner dimension up to which `ddpm_narrow_product` works.
enum { ddpm_narrow_features = 8 };

/// C = A·op(B) (+ C when `accumulate`) (+ table[indices[i]]) (+ bias) (then
/// ReLU) for row-major A m×k, op(B) k×n (B given n×k when `transpose_b`),
/// bias [n] or NULL, table (rows of n values) or NULL, and an inner dimension
/// k ≤ ddpm_narrow_features, as a loop over each row's outputs. Returns 0,
/// or -1 for a larger k or no memory.
int ddpm_narrow_product(const float *a, const float *b, int transpose_b, size_t m, size_t n, size_t k,
                        const float *bias, const float *table, const long *indices, int accumulate, int relu,
                        float *c);

/// The rows of x (rows × widths[0]) through linear layers, y = f_L(… f_1(x))
/// with f_l(h) = h·W_lᵀ + b_l, then ReLU where relu[l] (W_l in PyTorch's
/// [widths[l+1], widths[l]] layout, b_l NULL for none): in tiles of rows that
/// go through every layer while they are in cache, the tiles shared among
/// OpenMP's threads, each running oneDNN's matmul alone (layers with at most
/// 8 inputs or outputs are loops in C). For inference (no gradient). Returns
/// 0, or -1 when oneDNN cannot do it (y is then undefined).
int ddpm_linear_stack(size_t rows, size_t layers, const size_t *widths, const float *const *weights,
                      const float *const *biases, const int *relu, const float *x, float *y);

/// Whether the convolutions run through oneDNN: 1 unless DDPM_CONV=im2col is
/// set in the environment (for comparisons) or oneDNN failed to start.
int ddpm_conv_uses_onednn(void);

/// body(context, begin, end) over 0 ..< n, split among OpenMP's threads (the
/// cores) when n is at least 2·grain, else in one call on this thread.
typedef void (*ddpm_range_body)(void *context, size_t begin, size_t end);
void ddpm_parallel_for(size_t n, size_t grain, ddpm_range_body body, void *context);

/// The most threads a `ddpm_parallel_for` shares its range among (1 without OpenMP).
size_t ddpm_parallel_threads(void);

/// A cache line's round trip between two cores, in ns, below which they
/// share the work of products one core's caches hold. Measured on this VM
/// (AMD EPYC): 44–74 ns while its two cores sat in one core complex, where
/// sharing the training step's products paid (296 → 222–246 µs a step),
/// 280–340 ns while its host spread them, where it cost twice as much. On
/// the Intel machine of earlier sessions splitting a product made the step
/// slower; a mesh's round trip is around 100 ns and more, so that machine
/// should stay on one core (not measured there).
enum { ddpm_cheap_round_trip_ns = 100 };

/// Whether two of OpenMP's threads pass a cache line back and forth in less
/// than ddpm_cheap_round_trip_ns (measured at most 20 times a second; 0 with
/// one thread): work split between them then costs little more than its
/// halves.
int ddpm_cores_share_cheaply(void);

/// A cache line's round trip between two of OpenMP's threads now, in ns: the
/// fastest of 4 batches of 16; 10⁹ when there is one thread or the other
/// did not answer within 0.2 ms.
double ddpm_cores_round_trip_ns(void);

/// The calling thread's number in OpenMP's team (0 outside a parallel loop).
size_t ddpm_parallel_thread_number(void);

/// Makes OpenMP (libgomp, loaded by libdnnl) safe across fork() and returns
/// whether it is there: its threads are released before every fork and
/// started again on first use (see onednn.c).
int ddpm_openmp_ready(void);

/// Sets how many threads OpenMP's next parallel regions (oneDNN's too) use
/// from this thread and returns the previous number (1 without OpenMP).
int ddpm_openmp_limit_threads(int threads);

/// y = x·σ(x) and its derivative dx = g·σ(x)·(1 + x·(1 − σ(x))), on all cores.
void ddpm_silu_forward(const float *x, float *y, size_t n);
void ddpm_silu_backward(const float *x, const float *g, float *dx, size_t n);

/// Group normalisation of x [n, channels, spatial] in `groups` groups with an
/// optional per-channel scale and shift, followed by SiLU when `silu`; writes
/// y and the statistics (mean and 1/√(σ² + ε), n·groups each) that the
/// backward pass needs.
void ddpm_group_norm_forward(const float *x, size_t n, size_t channels, size_t spatial, size_t groups,
                             const float *weight, const float *bias, float eps, int silu, float *y, float *mean,
                             float *rstd);

/// ∂L/∂x (when dx is not NULL), ∂L/∂γ and ∂L/∂β (when not NULL) of
/// ddpm_group_norm_forward given g = ∂L/∂y and its statistics.
void ddpm_group_norm_backward(const float *x, const float *g, size_t n, size_t channels, size_t spatial,
                              size_t groups, const float *weight, const float *bias, int silu, const float *mean,
                              const float *rstd, float *dx, float *dweight, float *dbias);

/// The arithmetic of ddpm_binary_*.
typedef enum { ddpm_add = 0, ddpm_subtract = 1, ddpm_multiply = 2, ddpm_divide = 3 } ddpm_binary_op;

/// out[i] = a[i] op b[i] for i < n, on all cores.
void ddpm_binary_same(ddpm_binary_op op, const float *a, const float *b, float *out, size_t n);

/// A tensor with one value per row: out[r·inner + j] = a[r·inner + j] op s[r]
/// (or s[r] op a[…] when `scalar_first`), for r < rows, j < inner; the
/// broadcast of a bias [B, C, 1, 1] over [B, C, H, W].
void ddpm_binary_rows(ddpm_binary_op op, const float *a, const float *s, float *out, size_t rows, size_t inner,
                      int scalar_first);

/// y = max(x, 0), and dx = g where y > 0, else 0.
void ddpm_relu_forward(const float *x, float *y, size_t n);
void ddpm_relu_backward(const float *y, const float *g, float *dx, size_t n);

/// The backward pass of y = ReLU(x·Wᵀ + b + E[indices]) apart from its two
/// products, in one pass over the rows: g = gy where y > 0, else 0 (∂L/∂ of
/// the sum, [rows, columns]); its column sums Σ_r g_r (∂L/∂b) into
/// `column_sums` unless NULL; and its rows added into `table` (zeroed first,
/// `table_rows` × `columns`) at rows `indices` (∂L/∂E) unless NULL.
void ddpm_linear_relu_backward(const float *y, const float *gy, size_t rows, size_t columns, float *g,
                               float *column_sums, const long *indices, float *table, size_t table_rows);

/// Per-channel statistics of x [n, channels, spatial] for batch
/// normalisation: mean and biased variance over n and spatial.
void ddpm_batch_norm_statistics(const float *x, size_t n, size_t channels, size_t spatial, float *mean,
                                float *variance);

/// y = x·a_c + b_c per channel (batch normalisation with its statistics
/// folded into a = γ·rstd and b = β − μ·a).
void ddpm_channel_affine(const float *x, size_t n, size_t channels, size_t spatial, const float *a, const float *b,
                         float *y);

/// Per-channel Σg and Σg·(x − μ_c) over n and spatial, for batch
/// normalisation's backward pass.
void ddpm_batch_norm_sums(const float *x, const float *g, size_t n, size_t channels, size_t spatial,
                          const float *mean, float *sum_g, float *sum_gx);

/// dx = a_c·(g − m_c − (x − μ_c)·k_c) per channel: batch normalisation's
/// ∂L/∂x in training (m = mean of g, k = rstd²·mean of g·(x − μ)), or a_c·g
/// with m = k = 0 in evaluation.
void ddpm_batch_norm_input_gradient(const float *x, const float *g, size_t n, size_t channels, size_t spatial,
                                    const float *mean, const float *a, const float *m, const float *k, float *dx);

/// out[r] = Σ_j x[r·inner + j] for r < rows: the gradient of a bias
/// broadcast with one value per row.
void ddpm_row_sums(const float *x, size_t rows, size_t inner, float *out);

/// out[j] = Σ_r x[r·columns + j] for j < columns: the gradient of a bias
/// added to every row of a matrix (y = x·Wᵀ + b).
void ddpm_column_sums(const float *x, size_t rows, size_t columns, float *out);

/// out[r·columns + j] = x[r·columns + j] + row[j]: a matrix plus a row vector
/// on every row (a bias); `out` may be `x`.
void ddpm_add_row(const float *x, const float *row, float *out, size_t rows, size_t columns);

/// `count` standard normal samples, two per 64-bit random word (Box–Muller):
/// with u₁ = (bits[i] >> 40 + 1)·2⁻²⁴ in (0, 1] and u₂ = ((bits[i] >> 16) &
/// (2²⁴ − 1))·2⁻²⁴ in [0, 1), out[2i], out[2i+1] = √(−2 ln u₁)·(cos 2πu₂,
/// sin 2πu₂), within about 10⁻⁷ of the exact values (polynomials for ln, sin
/// and cos); an odd count uses the last word's first sample.
void ddpm_box_muller(const uint64_t *bits, size_t count, float *out);

/// out[i·columns + j] = source[indices[i]·columns + j] for i < count (a row gather).
void ddpm_gather_rows(const float *source, const long *indices, size_t count, size_t columns, float *out);

/// destination[indices[i]·columns + j] += source[i·columns + j] for i < count
/// (`index_add_` along the first axis: the gradient of a row gather).
void ddpm_index_add_rows(const float *source, const long *indices, size_t count, size_t columns, float *destination);

/// Nearest-neighbour upsampling of `planes` planes of h×w by `scale`, and its
/// adjoint (each input pixel receives the sum of its scale×scale block).
void ddpm_upsample_nearest(const float *x, size_t planes, size_t h, size_t w, size_t scale, float *y);
void ddpm_upsample_nearest_backward(const float *g, size_t planes, size_t h, size_t w, size_t scale, float *dx);

/// C = α·op(A)·op(B) + β·C for row-major matrices (op(A) m×k, op(B) k×n,
/// C m×n; leading dimensions those of the whole matrices), through OpenBLAS
/// on one thread per slice: a product of at least 2^24 multiply-adds is split
/// into slices of rows (or columns) of C, one per OpenMP thread. OpenBLAS's own
/// threads then never start, so they do not compete with OpenMP's for the
/// cores (each pool spins for a while after its work).
void ddpm_sgemm(int transpose_a, int transpose_b, size_t m, size_t n, size_t k, float alpha, const float *a,
                const float *b, float beta, float *c);
