// The fork server described in fork_server.h: `__libc_start_main` is
// interposed so that the tool's `main` is reached through `serve_or_run`.
#define _GNU_SOURCE
#include "fork_server.h"
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

typedef int (*main_function)(int, char **, char **);
typedef int (*start_function)(main_function, int, char **, void (*)(void), void (*)(void), void (*)(void),
                              void *);

static main_function tool_main;

static int receive(int fd, void *buffer, size_t size) {
    char *p = buffer;
    while (size > 0) {
        ssize_t n = recv(fd, p, size, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        p += n;
        size -= (size_t)n;
    }
    return 0;
}

static int reply(int fd, int32_t status) {
    const char *p = (const char *)&status;
    size_t size = sizeof status;
    while (size > 0) {
        ssize_t n = send(fd, p, size, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        p += n;
        size -= (size_t)n;
    }
    return 0;
}

// One run: the child enters the tool's main with `argv`, its output in `output`.
static int32_t run(int socket, const char *output, int argc, char **argv) {
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        close(socket);
        int fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0) _exit(127);
        close(fd);
        exit(tool_main(argc, argv, environ));  // exit, not _exit: the tool's output is flushed
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int serve(int socket) {
    for (;;) {
        uint32_t size = 0;
        if (receive(socket, &size, sizeof size) != 0) return 0;  // the kernel closed the socket: done
        char *block = malloc((size_t)size + 1);
        if (!block || receive(socket, block, size) != 0) return 1;
        block[size] = 0;
        // The output path, then argv: count the strings, then point at them.
        int strings = 0;
        for (uint32_t i = 0; i < size; i++) strings += block[i] == 0;
        char **argv = calloc((size_t)strings + 1, sizeof(char *));
        int32_t status = -1;
        if (argv && strings >= 2) {
            char *p = block, *end = block + size;
            const char *output = p;
            p += strlen(p) + 1;
            int argc = 0;
            while (p < end) {
                argv[argc++] = p;
                p += strlen(p) + 1;
            }
            status = run(socket, output, argc, argv);
        }
        free(argv);
        free(block);
        if (reply(socket, status) != 0) return 0;
    }
}

static int serve_or_run(int argc, char **argv, char **envp) {
    const char *fd = getenv(DDPM_FORK_SERVER_FD_VARIABLE);
    if (!fd) return tool_main(argc, argv, envp);
    int socket = atoi(fd);
    unsetenv(DDPM_FORK_SERVER_FD_VARIABLE);
    unsetenv("LD_PRELOAD");
    unsetenv("LD_BIND_NOW");
    return serve(socket);
}

int __libc_start_main(main_function main, int argc, char **argv, void (*init)(void), void (*fini)(void),
                      void (*rtld_fini)(void), void *stack_end) {
    tool_main = main;
    start_function start = (start_function)dlsym(RTLD_NEXT, "__libc_start_main");
    return start(serve_or_run, argc, argv, init, fini, rtld_fini, stack_end);
}
