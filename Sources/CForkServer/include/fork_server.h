// A fork server for command-line tools (swift-frontend, ld.lld), loaded into
// the tool with LD_PRELOAD. Starting swift-frontend costs some 40 ms before
// it compiles anything (loading and binding its libraries, running its static
// initialisers, faulting in its pages), a third of a one-line cell; a fork
// server pays that once per kernel, and each run is a fork of the initialised
// tool entering its own `main` with the run's arguments.
//
// Protocol. The tool is started with LD_PRELOAD naming this library,
// LD_BIND_NOW=1 (so that every symbol is bound once, in the server) and
// DDPM_FORK_SERVER_FD=<fd>, a connected stream socket. Then, until the
// socket closes, it reads a request — a uint32 byte count (host order), then
// NUL-terminated strings: the path the run's stdout and stderr go to,
// argv[0], argv[1], … — forks, runs `main` in the child with that argv and
// the output redirected, waits for it, and replies with an int32: the exit
// status, 128 + the signal that ended it, or -1 if it could not fork. The
// server removes the three variables from its environment first, so the runs
// and anything they start see the environment the tool would have had.
// Without DDPM_FORK_SERVER_FD the tool runs normally.
#pragma once

/// The environment variable that names the server's socket.
#define DDPM_FORK_SERVER_FD_VARIABLE "DDPM_FORK_SERVER_FD"
