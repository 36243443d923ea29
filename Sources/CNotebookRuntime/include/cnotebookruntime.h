// The C half of the notebook runtime inside libDDPM.so: the interrupt flag
// and the call of a cell's entry point. Used only by NotebookDisplay.
#pragma once

/// Installs a SIGINT handler that only records the interrupt, so that a
/// notebook's loops can stop cleanly at their next step (DESIGN.md,
/// "Interrupt"). Idempotent.
void ddpm_install_interrupt_handler(void);

/// Whether SIGINT arrived since the last ddpm_clear_interrupt.
int ddpm_interrupt_requested(void);

/// Forgets an earlier interrupt (called before each cell).
void ddpm_clear_interrupt(void);

/// Runs one job of the notebook's executor: returns 1 if it ran one, 0 if
/// none was ready. With `wait` it first sleeps until a job is ready or a
/// timer is due.
typedef int (*ddpm_job_runner)(int wait);

/// Makes the notebook's executor run the asynchronous main of cells with
/// top-level `await`: the runtime's `swift_task_asyncMainDrainQueue` (which
/// would hand the main thread to libdispatch and never return) becomes a
/// loop that runs jobs on this thread until the cell's code has ended.
void ddpm_cell_install_async_main(ddpm_job_runner runner);

/// Calls a cell's entry point (`int main(int, char **)` of a script-mode
/// module) and returns when its top-level code has finished, synchronous or
/// asynchronous, after running the jobs it left ready (tasks it started).
void ddpm_cell_run(void *entry);

/// Called at the end of a cell's asynchronous top-level code, instead of
/// the `exit(0)` the compiler puts there; the drain loop then returns to
/// `ddpm_cell_run`.
void ddpm_cell_async_main_ended(void);

/// Bytes written to the pipe (or terminal) `fd` and not yet read by the
/// other end; 0 when it cannot tell.
int ddpm_unread_bytes(int fd);
