// What the kernel process needs from C: calls Swift cannot import because
// they are variadic.
#pragma once

/// Makes the calling process the reaper of its orphaned descendants
/// (prctl(PR_SET_CHILD_SUBREAPER)), so that the executor's state holders,
/// whose parents exit after each cell, stay the kernel's to wait for and to
/// signal. Returns 0 on success.
int ddpm_become_child_subreaper(void);

/// pipe2(fds, O_CLOEXEC): a pipe no child process inherits by accident
/// (Glibc declares pipe2 only under _GNU_SOURCE). Returns 0 on success.
int ddpm_pipe_cloexec(int fds[2]);
