#include "ctensorkernels.h"
#include <cblas.h>

typedef struct {
    int transpose_a, transpose_b, by_rows;
    size_t m, n, k;
    float alpha, beta;
    const float *a, *b;
    float *c;
} gemm_task;

// The product for rows (or columns) [begin, end) of C.
static void gemm_slice(void *context, size_t begin, size_t end) {
    const gemm_task *t = context;
    const size_t lda = t->transpose_a ? t->m : t->k, ldb = t->transpose_b ? t->k : t->n;
    const float *a = t->a, *b = t->b;
    float *c = t->c;
    size_t rows = t->m, columns = t->n;
    if (t->by_rows) {
        a += t->transpose_a ? begin : begin * lda;
        c += begin * t->n;
        rows = end - begin;
    } else {
        b += t->transpose_b ? begin * ldb : begin;
        c += begin;
        columns = end - begin;
    }
    cblas_sgemm(CblasRowMajor, t->transpose_a ? CblasTrans : CblasNoTrans, t->transpose_b ? CblasTrans : CblasNoTrans,
                (int)rows, (int)columns, (int)t->k, t->alpha, a, (int)lda, b, (int)ldb, t->beta, c, (int)t->n);
}

// With OpenMP there, OpenBLAS is kept to one thread (the slices and pairs
// run on OpenMP's threads instead); returns whether it is.
static int single_threaded_blas(void) {
    static int done;
    if (!done && ddpm_openmp_ready()) {
        openblas_set_num_threads(1);
        done = 1;
    }
    return done;
}

void ddpm_sgemm(int transpose_a, int transpose_b, size_t m, size_t n, size_t k, float alpha, const float *a,
                const float *b, float beta, float *c) {
    single_threaded_blas();
    gemm_task t = {transpose_a, transpose_b, m >= n, m, n, k, alpha, beta, a, b, c};
    const size_t split = m >= n ? m : n;
    // Below 2^24 multiply-adds a second thread costs more than it saves.
    const size_t grain = m * n * k >= ((size_t)1 << 24) ? 1 : split;
    ddpm_parallel_for(split, grain, gemm_slice, &t);
}

typedef struct {
    gemm_task tasks[2];
} gemm_pair;

static void gemm_pair_slice(void *context, size_t begin, size_t end) {
    gemm_pair *pair = context;
    for (size_t i = begin; i < end; i++) {
        gemm_task *t = &pair->tasks[i];
        gemm_slice(t, 0, t->by_rows ? t->m : t->n);
    }
}

void ddpm_sgemm_pair(int transpose_a1, int transpose_b1, size_t m1, size_t n1, size_t k1, const float *a1,
                     const float *b1, float *c1, int transpose_a2, int transpose_b2, size_t m2, size_t n2, size_t k2,
                     const float *a2, const float *b2, float *c2) {
    if (!single_threaded_blas()) {
        ddpm_sgemm(transpose_a1, transpose_b1, m1, n1, k1, 1, a1, b1, 0, c1);
        ddpm_sgemm(transpose_a2, transpose_b2, m2, n2, k2, 1, a2, b2, 0, c2);
        return;
    }
    gemm_pair pair = {{{transpose_a1, transpose_b1, 1, m1, n1, k1, 1, 0, a1, b1, c1},
                       {transpose_a2, transpose_b2, 1, m2, n2, k2, 1, 0, a2, b2, c2}}};
    ddpm_parallel_for(2, 1, gemm_pair_slice, &pair);
}
