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

void ddpm_sgemm(int transpose_a, int transpose_b, size_t m, size_t n, size_t k, float alpha, const float *a,
                const float *b, float beta, float *c) {
    static int single_threaded_blas;
    if (!single_threaded_blas && ddpm_openmp_ready()) {
        openblas_set_num_threads(1);
        single_threaded_blas = 1;
    }
    gemm_task t = {transpose_a, transpose_b, m >= n, m, n, k, alpha, beta, a, b, c};
    const size_t split = m >= n ? m : n;
    // Below 2^24 multiply-adds a second thread costs more than it saves.
    const size_t grain = m * n * k >= ((size_t)1 << 24) ? 1 : split;
    ddpm_parallel_for(split, grain, gemm_slice, &t);
}
