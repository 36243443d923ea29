// A parallel loop on libgomp's threads (the runtime oneDNN uses), reached
// through its stable GOMP_parallel entry point so that this file needs no
// OpenMP support from the compiler. libgomp's pool does not survive fork(),
// which the executor does before every cell: the pool is released before each
// fork and started again on first use.
#include "ctensorkernels.h"
#include <dlfcn.h>
#include <pthread.h>

static void (*gomp_parallel)(void (*fn)(void *), void *data, unsigned threads, unsigned flags);
static int (*thread_number)(void);
static int (*thread_count)(void);
static int (*pause_resources)(int kind);
static int (*max_threads)(void);
static void (*set_threads)(int);
static int openmp_state;  // 0: not looked up, 1: ready, -1: unavailable

// omp_pause_resource_all(omp_pause_hard), OpenMP 5.0: joins the pool's threads.
static void release_threads_before_fork(void) {
    if (pause_resources) pause_resources(2);
}

int ddpm_openmp_ready(void) {
    if (openmp_state == 0) {
        gomp_parallel = dlsym(RTLD_DEFAULT, "GOMP_parallel");
        thread_number = dlsym(RTLD_DEFAULT, "omp_get_thread_num");
        thread_count = dlsym(RTLD_DEFAULT, "omp_get_num_threads");
        pause_resources = dlsym(RTLD_DEFAULT, "omp_pause_resource_all");
        max_threads = dlsym(RTLD_DEFAULT, "omp_get_max_threads");
        set_threads = dlsym(RTLD_DEFAULT, "omp_set_num_threads");
        // Without a way to release the pool, forking would not be safe: stay on one thread.
        openmp_state =
            gomp_parallel && thread_number && thread_count && pause_resources && max_threads && set_threads ? 1 : -1;
        if (openmp_state == 1) pthread_atfork(release_threads_before_fork, NULL, NULL);
    }
    return openmp_state == 1;
}

typedef struct {
    size_t n;
    ddpm_range_body body;
    void *context;
} range_task;

static void run_share(void *data) {
    const range_task *task = data;
    size_t threads = (size_t)thread_count(), me = (size_t)thread_number();
    size_t begin = task->n * me / threads, end = task->n * (me + 1) / threads;
    if (begin < end) task->body(task->context, begin, end);
}

void ddpm_parallel_for(size_t n, size_t grain, ddpm_range_body body, void *context) {
    if (n < 2 * grain || !ddpm_openmp_ready()) {
        if (n) body(context, 0, n);
        return;
    }
    range_task task = {n, body, context};
    gomp_parallel(run_share, &task, 0, 0);
}

int ddpm_openmp_limit_threads(int threads) {
    if (!ddpm_openmp_ready()) return 1;
    int previous = max_threads();
    if (threads != previous) set_threads(threads);
    return previous;
}

size_t ddpm_parallel_thread_number(void) {
    return ddpm_openmp_ready() ? (size_t)thread_number() : 0;
}
