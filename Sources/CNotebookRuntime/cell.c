#include <setjmp.h>
#include <stddef.h>
#include "cnotebookruntime.h"

// The Swift runtime's hook for the drain of an asynchronous main
// (swift/Runtime/Concurrency.h): both function types use the Swift calling
// convention.
#define SWIFT_CC __attribute__((swiftcall))
typedef SWIFT_CC void (*drain_original)(void);
typedef SWIFT_CC void (*drain_override)(drain_original);
extern SWIFT_CC void (*swift_task_asyncMainDrainQueue_hook)(drain_original, drain_override);

static ddpm_job_runner run_job = NULL;
static volatile int async_main_ended = 0;
static jmp_buf cell_return;

// Between `ddpm_cell_run`'s setjmp and this longjmp lie only the cell's
// `main` and the runtime's drain entry, which hold nothing to release.
static SWIFT_CC void drain_async_main(drain_original original, drain_override compat) {
    (void)original;
    (void)compat;
    while (!async_main_ended) run_job(1);
    longjmp(cell_return, 1);
}

void ddpm_cell_install_async_main(ddpm_job_runner runner) {
    run_job = runner;
    swift_task_asyncMainDrainQueue_hook = drain_async_main;
}

void ddpm_cell_async_main_ended(void) { async_main_ended = 1; }

void ddpm_cell_run(void *entry) {
    int (*main_function)(int, char **) = (int (*)(int, char **))entry;
    async_main_ended = 0;
    if (setjmp(cell_return) == 0) main_function(0, NULL);
    if (run_job != NULL) {
        while (run_job(0)) {}
    }
}
