// Products that one core's caches hold (the seeds' MLP step: y = x·Wᵀ + b +
// E[t] forward, ∂L/∂W = gᵀ·x and ∂L/∂x = g·W backward, 128×128 by 128×128),
// in a register-blocked AVX-512 loop of our own: 4 rows
// × 64 columns of C in 16 registers, k by k, a row of B's packed panel read
// and A's four values broadcast. What a layer adds to its product (bias,
// rows of an embedding table, ReLU) is applied in registers before the
// store, where oneDNN's matmul needed the rows gathered into C first (a pass
// of its own) and read them back in a post-op, and cost about 1.5 µs a call
// more inside a training step (its execution context, about five
// allocations). In a C loop (best of 1,500, one quiet run): x·Wᵀ + b + E[t]
// then ReLU 34.7 µs against oneDNN's 34.6 without the rows and 1.9 to gather
// them, gᵀ·x 33.7 against 34.2. In the training step's profile each product
// here took 10.9% of the samples, oneDNN's about 10.4% plus 0.5% for its call
// and, forward, 0.7% for the gather. oneDNN was a little faster for the
// plain layout A·B on one core (31.5 against 33.4 µs on the Intel machine,
// 36.2 against 38.4 on the AMD one), but the loop here takes it too, so that
// ∂L/∂x has the same bits whether or not its product is split between the
// cores (the split is decided at run time, ddpm_cores_share_cheaply). Split,
// each thread packs its own panels of B and computes its columns (or rows)
// of C; a layer's two backward products can instead go side by side, each
// whole on one core (ddpm_small_products_side_by_side). Rows of A that are
// mostly zeros (a ReLU's output, or a gradient through one) add only their
// nonzero terms, with the same bits (product, sparse_row).
#include "ctensorkernels.h"
#include <stdint.h>
#include <stdlib.h>
#if defined(__x86_64__)
#include <immintrin.h>

typedef struct {
    const float *a;
    size_t a_row, a_column;  // A(i, j) = a[(i − a_first)·a_row + j·a_column]
    size_t a_first;
    const float *b;          // B(j, l) = b[j·n + l], or with transpose_b b[l·k + j]
    int transpose_b;
    size_t m, n, k;
    const float *bias, *table;
    const long *indices;
    int accumulate, relu;
    float *c;
    float *panel;  // columns l0 … l0 + 16·V − 1 of B, k rows of 16·V floats (one for each thread)
} product_terms;

// Row i of C in columns l0 … l0 + 16·V − 1 from its sums: plus C, the bias
// and the table's row where the product has them, then ReLU.
__attribute__((target("avx512f"), always_inline)) static inline void store_row(const product_terms *t, size_t i,
                                                                                 size_t l0, const __m512 *acc,
                                                                                 const int V) {
    float *c = t->c + i * t->n + l0;
    const float *e = t->table ? t->table + (size_t)t->indices[i] * t->n + l0 : NULL;
    for (int v = 0; v < V; v++) {
        __m512 y = acc[v];
        if (t->accumulate) y = _mm512_add_ps(_mm512_loadu_ps(c + 16 * v), y);
        if (t->bias) y = _mm512_add_ps(y, _mm512_loadu_ps(t->bias + l0 + 16 * v));
        if (e) y = _mm512_add_ps(y, _mm512_loadu_ps(e + 16 * v));
        if (t->relu) y = _mm512_max_ps(y, _mm512_setzero_ps());
        _mm512_storeu_ps(c + 16 * v, y);
    }
}

// Rows i0 … i0 + R − 1 and columns l0 … l0 + 16·V − 1 of C from the panel
// of B; R and V are constants where it is inlined, so that the accumulators
// stay in registers.
__attribute__((target("avx512f"), always_inline)) static inline void block(const product_terms *t, size_t i0,
                                                                             size_t l0, const int R, const int V) {
    __m512 acc[4][4];
    for (int r = 0; r < R; r++)
        for (int v = 0; v < V; v++) acc[r][v] = _mm512_setzero_ps();
    const float *a = t->a + (i0 - t->a_first) * t->a_row, *b = t->panel;
    for (size_t j = 0; j < t->k; j++) {
        __m512 row[4];
        for (int v = 0; v < V; v++) row[v] = _mm512_loadu_ps(b + j * 16 * V + 16 * v);
        for (int r = 0; r < R; r++) {
            const __m512 x = _mm512_set1_ps(a[r * t->a_row + j * t->a_column]);
            for (int v = 0; v < V; v++) acc[r][v] = _mm512_fmadd_ps(x, row[v], acc[r][v]);
        }
    }
    for (int r = 0; r < R; r++) {
        float *c = t->c + (i0 + r) * t->n + l0;
        const float *e = t->table ? t->table + (size_t)t->indices[i0 + r] * t->n + l0 : NULL;
        for (int v = 0; v < V; v++) {
            __m512 y = acc[r][v];
            if (t->accumulate) y = _mm512_add_ps(_mm512_loadu_ps(c + 16 * v), y);
            if (t->bias) y = _mm512_add_ps(y, _mm512_loadu_ps(t->bias + l0 + 16 * v));
            if (e) y = _mm512_add_ps(y, _mm512_loadu_ps(e + 16 * v));
            if (t->relu) y = _mm512_max_ps(y, _mm512_setzero_ps());
            _mm512_storeu_ps(c + 16 * v, y);
        }
    }
}

// Row i of C in columns l0 … l0 + 16·V − 1 from the `count` nonzero terms
// of A's row i (`a`), A(i, j[q]) in increasing j: the terms the loop above
// would multiply by zero are left out, and the others added in the same
// order, so that C has the same bits (B finite; an infinite or NaN element
// of B times a zero of A, NaN there, is left out too).
__attribute__((target("avx512f"), always_inline)) static inline void sparse_row(const product_terms *t, size_t i,
                                                                                  size_t l0, const float *a,
                                                                                  const int *j, size_t count,
                                                                                  const int V) {
    __m512 acc[4];
    for (int v = 0; v < V; v++) acc[v] = _mm512_setzero_ps();
    for (size_t q = 0; q < count; q++) {
        const __m512 x = _mm512_set1_ps(a[j[q]]);
        const float *row = t->panel + (size_t)j[q] * 16 * V;
        for (int v = 0; v < V; v++) acc[v] = _mm512_fmadd_ps(x, _mm512_loadu_ps(row + 16 * v), acc[v]);
    }
    store_row(t, i, l0, acc, V);
}

// Where a[0 … k − 1] is nonzero (NaN counts as nonzero), in order; j has
// room for k + 16. Returns the count.
__attribute__((target("avx512f"))) static size_t nonzeros(const float *a, size_t k, int *j) {
    size_t count = 0, l = 0;
    __m512i where = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (; l + 16 <= k; l += 16) {
        const __mmask16 kept = _mm512_cmp_ps_mask(_mm512_loadu_ps(a + l), _mm512_setzero_ps(), _CMP_NEQ_UQ);
        // Compressed in a register, then stored whole: a compressing store
        // is microcoded and slow on AMD's Zen 4.
        _mm512_storeu_si512(j + count, _mm512_maskz_compress_epi32(kept, where));
        count += (size_t)__builtin_popcount(kept);
        where = _mm512_add_epi32(where, _mm512_set1_epi32(16));
    }
    for (; l < k; l++)
        if (a[l] != 0 || a[l] != a[l]) j[count++] = (int)l;
    return count;
}

// r[i] = element i of each of r[0 … 15], in registers: a 16×16 block
// transposed (unpacks of 32- and 64-bit elements, then 128-bit lane shuffles).
__attribute__((target("avx512f"), always_inline)) static inline void transpose16(__m512 r[16]) {
    __m512 u[16];
    for (int i = 0; i < 8; i++) {
        u[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        u[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; i++)
        for (int h = 0; h < 2; h++) {
            const __m512d low = _mm512_castps_pd(u[4 * i + h]), high = _mm512_castps_pd(u[4 * i + h + 2]);
            r[4 * i + 2 * h] = _mm512_castpd_ps(_mm512_unpacklo_pd(low, high));
            r[4 * i + 2 * h + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(low, high));
        }
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 4; j++) {
            u[8 * i + j] = _mm512_shuffle_f32x4(r[8 * i + j], r[8 * i + j + 4], 0x88);
            u[8 * i + j + 4] = _mm512_shuffle_f32x4(r[8 * i + j], r[8 * i + j + 4], 0xdd);
        }
    for (int j = 0; j < 8; j++) {
        r[j] = _mm512_shuffle_f32x4(u[j], u[j + 8], 0x88);
        r[j + 8] = _mm512_shuffle_f32x4(u[j], u[j + 8], 0xdd);
    }
}

// Columns l0 … l0 + width − 1 of B [k, n] into the panel, k rows of `width`
// contiguous floats: the panel's rows then fill distinct sets of the L1
// cache, where rows of B 512 bytes apart (n = 128) fell into a quarter of
// them and evicted each other.
__attribute__((target("avx512f"))) static void pack(const product_terms *t, size_t l0, size_t width) {
    for (size_t j = 0; j < t->k; j++)
        for (size_t v = 0; v < width; v += 16)
            _mm512_storeu_ps(t->panel + j * width + v, _mm512_loadu_ps(t->b + j * t->n + l0 + v));
}

// The same panel of B = Wᵀ from rows l0 … l0 + width − 1 of W [n, k] (k a
// multiple of 16), by 16×16 blocks transposed in registers.
__attribute__((target("avx512f"))) static void pack_transposed(const product_terms *t, size_t l0, size_t width) {
    for (size_t i0 = 0; i0 < width; i0 += 16)
        for (size_t j0 = 0; j0 < t->k; j0 += 16) {
            __m512 r[16];
            for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_ps(t->b + (l0 + i0 + i) * t->k + j0);
            transpose16(r);
            // r[i] is column j0 + i of these rows of W: row j0 + i of B.
            for (int i = 0; i < 16; i++) _mm512_storeu_ps(t->panel + (j0 + i) * width + i0, r[i]);
        }
}

// Rows begin … end − 1 of a transposed A (A(i, j) = a[i + j·m], gᵀ for
// ∂L/∂W = gᵀ·x) into `rows`, row by row (k floats each): by 16×16 blocks
// transposed in registers, the edges element by element.
__attribute__((target("avx512f"))) static void transpose_rows(const product_terms *t, size_t begin, size_t end,
                                                              float *rows) {
    const size_t k = t->k, m = t->a_column;
    size_t i0 = begin;
    for (; i0 + 16 <= end; i0 += 16) {
        size_t j0 = 0;
        for (; j0 + 16 <= k; j0 += 16) {
            __m512 r[16];
            for (int j = 0; j < 16; j++) r[j] = _mm512_loadu_ps(t->a + (j0 + j) * m + i0);
            transpose16(r);
            for (int i = 0; i < 16; i++) _mm512_storeu_ps(rows + (i0 + i - begin) * k + j0, r[i]);
        }
        for (; j0 < k; j0++)
            for (size_t i = i0; i < i0 + 16; i++) rows[(i - begin) * k + j0] = t->a[j0 * m + i];
    }
    for (; i0 < end; i0++)
        for (size_t j = 0; j < k; j++) rows[(i0 - begin) * k + j] = t->a[j * m + i0];
}

// Memory a thread keeps from call to call, grown as asked.
typedef struct {
    float *floats;
    size_t capacity;
} kept_memory;
static _Thread_local kept_memory panels_kept, lists_kept;

// `kept`'s memory for `floats` floats, 64-byte aligned; NULL when there is none.
static float *at_least(kept_memory *kept, size_t floats) {
    if (kept->capacity < floats) {
        free(kept->floats);
        kept->capacity = 0;
        if (!(kept->floats = aligned_alloc(64, (floats * sizeof(float) + 63) / 64 * 64))) return NULL;
        kept->capacity = floats;
    }
    return kept->floats;
}

#define COLUMNS(CALL)                                                                                                \
    switch (vectors) {                                                                                               \
    case 4: CALL(4); break;                                                                                          \
    case 3: CALL(3); break;                                                                                          \
    case 2: CALL(2); break;                                                                                          \
    default: CALL(1); break;                                                                                         \
    }

// Rows i0 … i0 + rows − 1 (at most 4) of C in `vectors` vectors of columns
// from l0, every term. Not inlined into `product`, nor `sparse_rows`: in one
// function with all their variants clang kept the accumulators in memory,
// 2.4 times slower.
__attribute__((target("avx512f"), noinline)) static void dense_rows(const product_terms *t, size_t i0, size_t rows,
                                                                    size_t l0, size_t vectors) {
#define BLOCK4(V) block(t, i0, l0, 4, V)
#define BLOCK1(V) block(t, i0 + r, l0, 1, V)
    if (rows == 4) {
        COLUMNS(BLOCK4)
    } else {
        for (size_t r = 0; r < rows; r++) COLUMNS(BLOCK1)
    }
#undef BLOCK1
#undef BLOCK4
}

// The same rows from their nonzero terms, `count[r]` of them listed at
// where + r·list.
__attribute__((target("avx512f"), noinline)) static void sparse_rows(const product_terms *t, size_t i0, size_t rows,
                                                                     size_t l0, size_t vectors, const int *where,
                                                                     size_t list, const uint32_t *count) {
    const float *a = t->a + (i0 - t->a_first) * t->a_row;
#define SPARSE(V) sparse_row(t, i0 + r, l0, a + r * t->a_row, where + r * list, count[r], V)
    for (size_t r = 0; r < rows; r++) COLUMNS(SPARSE)
#undef SPARSE
}
#undef COLUMNS

// Rows begin … end − 1 of C in columns 64·first … 64·last − 1 (or to n):
// column panels of 64 outer, each packed just before the rows pass over it
// (it stays in L1 meanwhile), rows in fours inner. Where at most 3/4 of a
// block's terms A(i, j) are nonzero (after a ReLU, in the seeds' step 27%
// of ∂L/∂y's and 42% of the hidden layers' inputs were), each row adds only
// its nonzero terms (`sparse_row`), with the same bits: its loads of B then
// cost about what the 4-row block's multiplications do, for fewer terms.
// A transposed A is first copied row by row, so that its rows' nonzero
// terms can be listed; without memory for that or for the lists, every
// block takes all its terms.
__attribute__((target("avx512f"))) static void product(const product_terms *terms, size_t begin, size_t end,
                                                       size_t first, size_t last) {
    product_terms t = *terms;
    const size_t k = t.k, list = (k + 31) / 16 * 16, rows = end - begin;
    const int transposed = t.a_column != 1;
    // This thread's memory: each row's count of nonzero terms (a line of 16
    // counts per 16 rows) and their places, then a transposed A's rows.
    const size_t counted = (rows + 15) / 16 * 16, listed = counted + rows * list;
    float *scratch = at_least(&lists_kept, listed + (transposed ? rows * k : 0));
    if (scratch && transposed) {
        transpose_rows(&t, begin, end, scratch + listed);
        t.a = scratch + listed, t.a_row = k, t.a_column = 1, t.a_first = begin;
    }
    const int lists = scratch && t.a_column == 1;
    uint32_t *count = (uint32_t *)scratch;
    int *where = (int *)scratch + counted;
    if (lists)
        for (size_t r = 0; r < rows; r++)
            count[r] = (uint32_t)nonzeros(t.a + (begin + r - t.a_first) * t.a_row, k, where + r * list);
    for (size_t l0 = 64 * first; l0 < t.n && l0 < 64 * last; l0 += 64) {
        const size_t vectors = t.n - l0 >= 64 ? 4 : (t.n - l0) / 16;
        if (t.transpose_b) pack_transposed(&t, l0, 16 * vectors);
        else pack(&t, l0, 16 * vectors);
        for (size_t i0 = begin; i0 < end; i0 += 4) {
            const size_t block_rows = end - i0 < 4 ? end - i0 : 4, r0 = i0 - begin;
            size_t terms = 0;
            for (size_t r = 0; lists && r < block_rows; r++) terms += count[r0 + r];
            if (lists && 4 * terms <= 3 * block_rows * k)
                sparse_rows(&t, i0, block_rows, l0, vectors, where + r0 * list, list, count + r0);
            else dense_rows(&t, i0, block_rows, l0, vectors);
        }
    }
}

// Panels of B's 64 columns by k rows, one for each thread that may share
// the product, in memory the calling thread keeps from call to call; NULL
// when there is no memory.
static float *thread_panels(size_t k, size_t threads) { return at_least(&panels_kept, 64 * k * threads); }

// Rows 4·begin … 4·end − 1 of C (the last block may be shorter) on one of
// the threads that share the product, with that thread's panel.
static void product_rows(void *context, size_t begin, size_t end) {
    const product_terms *shared = context;
    product_terms t = *shared;
    t.panel += 64 * t.k * ddpm_parallel_thread_number();
    product(&t, 4 * begin, 4 * end < t.m ? 4 * end : t.m, 0, (t.n + 63) / 64);
}

// Column panels begin … end − 1 of C, every row.
static void product_columns(void *context, size_t begin, size_t end) {
    const product_terms *shared = context;
    product_terms t = *shared;
    t.panel += 64 * t.k * ddpm_parallel_thread_number();
    product(&t, 0, t.m, begin, end);
}
#endif

int ddpm_small_product_fits(int transpose_a, int transpose_b, size_t m, size_t n, size_t k) {
#if defined(__x86_64__)
    return m > 0 && n > 0 && k > 0 && n % 16 == 0 && !(transpose_a && transpose_b) && !(transpose_b && k % 16 != 0) &&
           __builtin_cpu_supports("avx512f");
#else
    (void)transpose_a, (void)transpose_b, (void)m, (void)n, (void)k;
    return 0;
#endif
}

#if defined(__x86_64__)
// The loop's terms for one product, with `threads` panels of the calling
// thread's; 0, or -1 when there is no memory.
static int terms(const ddpm_product *p, size_t threads, product_terms *t) {
    float *panels = thread_panels(p->k, threads);
    if (!panels) return -1;
    *t = (product_terms){p->a, p->transpose_a ? 1 : p->k, p->transpose_a ? p->m : 1, 0, p->b, p->transpose_b, p->m,
                         p->n, p->k, p->bias, p->table, p->indices, p->accumulate, p->relu, p->c, panels};
    return 0;
}

// The whole product on the calling thread.
static void whole(const product_terms *t) { product(t, 0, t->m, 0, (t->n + 63) / 64); }
#endif

int ddpm_small_product(int transpose_a, int transpose_b, size_t m, size_t n, size_t k, const float *a, const float *b,
                       const float *bias, const float *table, const long *indices, int accumulate, int relu,
                       int both_cores, float *c) {
#if defined(__x86_64__)
    if (!ddpm_small_product_fits(transpose_a, transpose_b, m, n, k)) return -1;
    const size_t threads = both_cores ? ddpm_parallel_threads() : 1;
    const ddpm_product p = {transpose_a, transpose_b, m, n, k, a, b, bias, table, indices, accumulate, relu, c};
    product_terms t;
    if (terms(&p, threads, &t) != 0) return -1;
    // Shared by C's columns, where each thread then reads only its rows of W
    // for x·Wᵀ; by rows for ∂L/∂W = gᵀ·x (where a layer's ∂L/∂x is not
    // wanted: with it, the two go side by side, each whole on one core).
    const size_t column_panels = (n + 63) / 64;
    if (threads == 1) whole(&t);
    else if (!transpose_a && column_panels >= threads) ddpm_parallel_for(column_panels, 1, product_columns, &t);
    else ddpm_parallel_for((m + 3) / 4, 1, product_rows, &t);
    return 0;
#else
    (void)transpose_a, (void)transpose_b, (void)m, (void)n, (void)k, (void)a, (void)b, (void)bias, (void)table;
    (void)indices, (void)accumulate, (void)relu, (void)both_cores, (void)c;
    return -1;
#endif
}

#if defined(__x86_64__)
typedef struct {
    const ddpm_product *products[2];
    int status[2];
    size_t thread[2];  // the OpenMP thread that computed each
} side_by_side;

// Products begin … end − 1 of the two (none from 2 on), each whole, with
// panels of this thread's.
static void products_in_range(void *context, size_t begin, size_t end) {
    side_by_side *pair = context;
    for (size_t i = begin; i < end && i < 2; i++) {
        product_terms t;
        pair->status[i] = terms(pair->products[i], 1, &t);
        if (pair->status[i] == 0) whole(&t);
        pair->thread[i] = ddpm_parallel_thread_number();
    }
}
#endif

int ddpm_small_products_side_by_side(const ddpm_product *first, const ddpm_product *second, int both_cores) {
#if defined(__x86_64__)
    for (int i = 0; i < 2; i++) {
        const ddpm_product *p = i == 0 ? first : second;
        if (!ddpm_small_product_fits(p->transpose_a, p->transpose_b, p->m, p->n, p->k)) return -1;
    }
    side_by_side pair = {{first, second}, {-1, -1}, {0, 0}};
    // One index for each thread, so that the first is the calling thread's
    // (OpenMP's thread 0) and the second thread 1's.
    const size_t threads = both_cores ? ddpm_parallel_threads() : 1;
    if (threads >= 2) ddpm_parallel_for(threads, 1, products_in_range, &pair);
    else products_in_range(&pair, 0, 2);
    if (pair.status[0] != 0 || pair.status[1] != 0) return -1;
    return (int)pair.thread[1];
#else
    (void)first, (void)second, (void)both_cores;
    return -1;
#endif
}
