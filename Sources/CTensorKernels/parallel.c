// A parallel loop on libgomp's threads (the runtime oneDNN uses), reached
// through its stable GOMP_parallel entry point so that this file needs no
// OpenMP support from the compiler. libgomp's pool does not survive fork(),
// which the executor does before every cell: the pool is released before each
// fork and started again on first use.
#include "ctensorkernels.h"
#include <dlfcn.h>
#include <pthread.h>
#include <time.h>

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

size_t ddpm_parallel_threads(void) {
    return ddpm_openmp_ready() ? (size_t)max_threads() : 1;
}

size_t ddpm_parallel_thread_number(void) {
    return ddpm_openmp_ready() ? (size_t)thread_number() : 0;
}

// Two threads of the team pass a cache line back and forth; thread 0 times
// batches of round trips and keeps the fastest batch, or gives up (and makes
// the other stop) when a batch takes over `give_up` seconds, as when the
// other thread is not running (a new thread starts on its parent's core and
// waits there until the scheduler moves it).
enum { batches = 4, trips = 16 };
static const double give_up = 2e-4;
// A check costs about 5 µs when the cores are near, at most 0.2 ms when the
// other thread does not answer: at 20 a second, at most 0.4% of the time.
static const double recheck = 0.05;
typedef struct {
    _Alignas(64) volatile long ball;  // 2i + 1: thread 0's i-th throw; 2i + 2: the answer; -1: stop
    _Alignas(64) double nanoseconds;  // the fastest batch's round trip
} ping_pong;

// A spinning thread's hint to the core (and to a hyperthread's sibling).
static inline void relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

static double seconds(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void play(void *data) {
    ping_pong *p = data;
    const int me = thread_number();
    if (thread_count() < 2 || me > 1) return;
    if (me == 1) {
        for (long i = 0; i < batches * trips; i++) {
            long ball;
            while ((ball = p->ball) != 2 * i + 1 && ball != -1) relax();
            if (ball == -1) return;
            p->ball = 2 * i + 2;
        }
        return;
    }
    for (int b = 0; b < batches; b++) {
        const double start = seconds(CLOCK_MONOTONIC);
        for (long i = (long)b * trips; i < (long)(b + 1) * trips; i++) {
            p->ball = 2 * i + 1;
            for (long spins = 0; p->ball != 2 * i + 2; spins++) {
                relax();
                if (spins % 256 == 255 && seconds(CLOCK_MONOTONIC) - start > give_up) {
                    p->ball = -1;
                    return;
                }
            }
        }
        const double round_trip = (seconds(CLOCK_MONOTONIC) - start) / trips * 1e9;
        if (round_trip < p->nanoseconds) p->nanoseconds = round_trip;
    }
}

double ddpm_cores_round_trip_ns(void) {
    if (!ddpm_openmp_ready() || max_threads() < 2 || thread_count() > 1) return 1e9;
    ping_pong p = {0, 1e9};
    gomp_parallel(play, &p, 2, 0);
    return p.nanoseconds;
}

int ddpm_cores_share_cheaply(void) {
    // The verdict and when it was reached: a virtual machine's two cores can
    // be moved by its host from one core complex to two, and back (a round
    // trip then took 280–340 ns here instead of 52–74, for a fraction of a
    // second to minutes), so it is reached again every `recheck` seconds.
    static int verdict;
    static double checked = -1;
    if (!ddpm_openmp_ready() || max_threads() < 2) return 0;
    const double now = seconds(CLOCK_MONOTONIC_COARSE);
    if (thread_count() > 1 || (checked >= 0 && now - checked < recheck))
        return __atomic_load_n(&verdict, __ATOMIC_RELAXED);
    __atomic_store_n(&verdict, ddpm_cores_round_trip_ns() < ddpm_cheap_round_trip_ns, __ATOMIC_RELAXED);
    checked = now;
    return verdict;
}
