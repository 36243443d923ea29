// Matrix products through oneDNN's matmul: C = op(A)·op(B) (+ bias) (+ C)
// (then ReLU), the bias, the accumulation into C and the ReLU applied in the
// product's own output pass (a bias argument, a sum post-op and an eltwise
// post-op), so the result is written once instead of being filled, multiplied
// into, and read back for the ReLU. A transposed operand is read through its
// strides (tag `ba`): W stays in PyTorch's [out, in] layout for y = x·Wᵀ + b.
//
// Making a primitive costs far more than running a small one, so the last
// few shapes' primitives are kept, with their memory objects (only the data
// pointers change from call to call).
#include "ctensorkernels.h"
#include "onednn_context.h"
#include "vector_math.h"
#include <stdlib.h>

typedef struct {
    size_t m, n, k;
    int transpose_a, transpose_b, bias, accumulate, relu, single_thread;
    dnnl_primitive_t primitive;
    dnnl_memory_t a, b, bias_memory, c;
} matmul_primitive;

// The last few shapes' primitives, replaced in turn.
enum { kept_primitives = 16 };
typedef struct {
    matmul_primitive entries[kept_primitives];
    int next;
} primitive_cache;

// `ddpm_matmul`'s (one caller at a time), and one per OpenMP thread for the
// tiles of `ddpm_linear_stack`, with the thread's own stream.
enum { max_threads = 64 };
static primitive_cache shared_cache;
static primitive_cache thread_caches[max_threads];
static dnnl_stream_t thread_streams[max_threads];

static void matrix(dnnl_memory_desc_t *md, size_t rows, size_t columns, dnnl_format_tag_t tag) {
    dnnl_dims_t dims = {(dnnl_dim_t)rows, (dnnl_dim_t)columns};
    dnnl_memory_desc_init_by_tag(md, 2, dims, dnnl_f32, tag);
}

static void release(matmul_primitive *p) {
    if (p->primitive) dnnl_primitive_destroy(p->primitive);
    if (p->a) dnnl_memory_destroy(p->a);
    if (p->b) dnnl_memory_destroy(p->b);
    if (p->bias_memory) dnnl_memory_destroy(p->bias_memory);
    if (p->c) dnnl_memory_destroy(p->c);
    p->primitive = NULL;
    p->a = p->b = p->bias_memory = p->c = NULL;
}

static matmul_primitive *make(dnnl_engine_t engine, const matmul_primitive *key, primitive_cache *cache) {
    matmul_primitive p = *key;
    dnnl_memory_desc_t a, b, bias, c;
    matrix(&a, p.m, p.k, p.transpose_a ? dnnl_ba : dnnl_ab);
    matrix(&b, p.k, p.n, p.transpose_b ? dnnl_ba : dnnl_ab);
    matrix(&bias, 1, p.n, dnnl_ab);
    matrix(&c, p.m, p.n, dnnl_ab);
    dnnl_matmul_desc_t desc;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t post_ops = NULL;
    dnnl_primitive_desc_t pd = NULL;
    int ok = dnnl_matmul_desc_init(&desc, &a, &b, p.bias ? &bias : NULL, &c) == dnnl_success &&
             dnnl_primitive_attr_create(&attr) == dnnl_success;
    if (ok && (p.accumulate || p.relu)) {
        ok = dnnl_post_ops_create(&post_ops) == dnnl_success;
        if (ok && p.accumulate) ok = dnnl_post_ops_append_sum(post_ops, 1.0f) == dnnl_success;
        if (ok && p.relu)
            ok = dnnl_post_ops_append_eltwise(post_ops, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f) == dnnl_success;
        ok = ok && dnnl_primitive_attr_set_post_ops(attr, post_ops) == dnnl_success;
    }
    ok = ok && dnnl_primitive_desc_create(&pd, &desc, attr, engine, NULL) == dnnl_success &&
         dnnl_primitive_create(&p.primitive, pd) == dnnl_success &&
         dnnl_memory_create(&p.a, &a, engine, DNNL_MEMORY_NONE) == dnnl_success &&
         dnnl_memory_create(&p.b, &b, engine, DNNL_MEMORY_NONE) == dnnl_success &&
         dnnl_memory_create(&p.c, &c, engine, DNNL_MEMORY_NONE) == dnnl_success &&
         (!p.bias || dnnl_memory_create(&p.bias_memory, &bias, engine, DNNL_MEMORY_NONE) == dnnl_success);
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (post_ops) dnnl_post_ops_destroy(post_ops);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (!ok) {
        release(&p);
        return NULL;
    }
    matmul_primitive *slot = &cache->entries[cache->next];
    cache->next = (cache->next + 1) % kept_primitives;
    release(slot);
    *slot = p;
    return slot;
}

static matmul_primitive *find(dnnl_engine_t engine, const matmul_primitive *key, primitive_cache *cache) {
    for (int i = 0; i < kept_primitives; i++) {
        matmul_primitive *p = &cache->entries[i];
        if (p->primitive && p->m == key->m && p->n == key->n && p->k == key->k &&
            p->transpose_a == key->transpose_a && p->transpose_b == key->transpose_b && p->bias == key->bias &&
            p->accumulate == key->accumulate && p->relu == key->relu && p->single_thread == key->single_thread)
            return p;
    }
    return make(engine, key, cache);
}

// Runs a kept primitive on these operands, on `stream` or (NULL) the shared one.
static int execute(matmul_primitive *p, dnnl_stream_t stream, const float *a, const float *b, const float *bias,
                   float *c) {
    if (dnnl_memory_set_data_handle(p->a, (void *)a) != dnnl_success ||
        dnnl_memory_set_data_handle(p->b, (void *)b) != dnnl_success ||
        dnnl_memory_set_data_handle(p->c, c) != dnnl_success ||
        (bias && dnnl_memory_set_data_handle(p->bias_memory, (void *)bias) != dnnl_success))
        return -1;
    dnnl_exec_arg_t args[4] = {
        {DNNL_ARG_SRC, p->a}, {DNNL_ARG_WEIGHTS, p->b}, {DNNL_ARG_DST, p->c}, {DNNL_ARG_BIAS, p->bias_memory}};
    if (!stream) return ddpm_onednn_run(p->primitive, bias ? 4 : 3, args);
    return dnnl_primitive_execute(p->primitive, stream, bias ? 4 : 3, args) == dnnl_success &&
                   dnnl_stream_wait(stream) == dnnl_success
               ? 0
               : -1;
}

int ddpm_matmul(int transpose_a, int transpose_b, size_t m, size_t n, size_t k, const float *a, const float *b,
                const float *bias, int accumulate, int relu, int single_thread, float *c) {
    dnnl_engine_t engine = ddpm_onednn_engine();
    if (!engine) return -1;
    // oneDNN sizes its work by OpenMP's thread count when a primitive is made
    // and when it runs: one thread for both, on request.
    int saved_threads = single_thread ? ddpm_openmp_limit_threads(1) : 0;
    matmul_primitive key = {m,           n,           k,           transpose_a != 0, transpose_b != 0, bias != NULL,
                            accumulate != 0, relu != 0, single_thread != 0};
    matmul_primitive *p = find(engine, &key, &shared_cache);
    int result = p ? execute(p, NULL, a, b, bias, c) : -1;
    if (single_thread) ddpm_openmp_limit_threads(saved_threads);
    return result;
}

// Rows per tile of `ddpm_linear_stack`: a tile's input and output of 128
// features (256 KB each) stay in a core's L2 cache from one layer to the
// next. Seed 000's sampling took 0.49–0.50 s with 512 rows, 0.53–0.56 with
// 256, 0.58–0.62 with 128 and 0.49–0.53 with 1,024 when the tiles were split
// evenly between the cores; taken in turn, 0.41–0.46 with 512 rows and
// 0.41–0.49 with 256 (`ddpm-bench --only sampling`, alternating runs).
enum { tile_rows = 512 };

// Layers with at most `ddpm_narrow_features` outputs (the MLP's last,
// 128 → 2) or inputs (its first, 2 → 128) are loops in C here: oneDNN's
// matmul, bound by its setup, took 25 µs for a 512-row tile of the last
// layer and 15–25 µs for the first, these loops 11 and 10–11
// (`narrow_output_layer`, `ddpm_narrow_product`).

// out[r·n + o] = b[o] + Σ_j in[r·k + j]·W[o·k + j] (then ReLU), for n ≤ ddpm_narrow_features.
VECTORISED static void narrow_output_layer(const float *restrict in, size_t rows, size_t k,
                                           const float *restrict w, const float *restrict bias, size_t n, int relu,
                                           float *restrict out) {
    for (size_t r = 0; r < rows; r++) {
        const float *row = in + r * k;
        for (size_t o = 0; o < n; o++) {
            const float *weights = w + o * k;
            float sum = 0;
            for (size_t j = 0; j < k; j++) sum += row[j] * weights[j];
            sum += bias ? bias[o] : 0.0f;
            out[r * n + o] = relu && sum < 0 ? 0.0f : sum;
        }
    }
}

typedef struct {
    dnnl_engine_t engine;
    size_t rows, layers, widest;
    const size_t *widths;
    const float *const *weights, *const *biases;
    const int *relu;
    const float *x;
    float *y;
    size_t tiles, next_tile;  // tiles are taken in turn, so a core slowed by other work takes fewer
    int failed;
} linear_stack_task;

// One thread's part of `ddpm_linear_stack`. The range `ddpm_parallel_for`
// hands it is ignored: the thread takes tiles from the task's counter.
static void run_tiles(void *context, size_t begin, size_t end) {
    (void)begin, (void)end;
    linear_stack_task *task = context;
    size_t me = ddpm_parallel_thread_number();
    if (me >= max_threads ||
        (!thread_streams[me] &&
         dnnl_stream_create(&thread_streams[me], task->engine, dnnl_stream_default_flags) != dnnl_success)) {
        __atomic_store_n(&task->failed, 1, __ATOMIC_RELAXED);
        return;
    }
    int saved_threads = ddpm_openmp_limit_threads(1);  // primitives made and run for this thread alone
    float *scratch = malloc(2 * tile_rows * task->widest * sizeof(float));
    int ok = scratch != NULL;
    for (size_t tile; ok && (tile = __atomic_fetch_add(&task->next_tile, 1, __ATOMIC_RELAXED)) < task->tiles;) {
        size_t first = tile * tile_rows, m = task->rows - first < tile_rows ? task->rows - first : tile_rows;
        const float *in = task->x + first * task->widths[0];
        for (size_t l = 0; ok && l < task->layers; l++) {
            float *out = l + 1 == task->layers ? task->y + first * task->widths[task->layers]
                                               : scratch + (l % 2) * tile_rows * task->widest;
            if (task->widths[l + 1] <= ddpm_narrow_features) {
                narrow_output_layer(in, m, task->widths[l], task->weights[l], task->biases[l], task->widths[l + 1],
                                    task->relu[l], out);
            } else if (task->widths[l] <= ddpm_narrow_features) {
                ok = ddpm_narrow_product(in, task->weights[l], 1, m, task->widths[l + 1], task->widths[l],
                                         task->biases[l], NULL, NULL, 0, task->relu[l], out) == 0;
            } else {
                matmul_primitive key = {m, task->widths[l + 1], task->widths[l], 0, 1, task->biases[l] != NULL, 0,
                                        task->relu[l] != 0, 1};
                matmul_primitive *p = find(task->engine, &key, &thread_caches[me]);
                ok = p && execute(p, thread_streams[me], in, task->weights[l], task->biases[l], out) == 0;
            }
            in = out;
        }
    }
    free(scratch);
    ddpm_openmp_limit_threads(saved_threads);
    if (!ok) __atomic_store_n(&task->failed, 1, __ATOMIC_RELAXED);
}

int ddpm_linear_stack(size_t rows, size_t layers, const size_t *widths, const float *const *weights,
                      const float *const *biases, const int *relu, const float *x, float *y) {
    dnnl_engine_t engine = ddpm_onednn_engine();
    if (!engine || layers == 0) return -1;
    size_t widest = 1;
    for (size_t l = 1; l < layers; l++) widest = widths[l] > widest ? widths[l] : widest;
    size_t tiles = (rows + tile_rows - 1) / tile_rows;
    linear_stack_task task = {engine, rows, layers, widest, widths, weights, biases, relu, x, y, tiles, 0, 0};
    ddpm_parallel_for(tiles, 1, run_tiles, &task);
    return task.failed ? -1 : 0;
}
