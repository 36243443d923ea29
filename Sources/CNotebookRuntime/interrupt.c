#include <signal.h>
#include <string.h>
#include "cnotebookruntime.h"

static volatile sig_atomic_t interrupt_flag = 0;

static void record_interrupt(int signal_number) {
    (void)signal_number;
    interrupt_flag = 1;
}

void ddpm_install_interrupt_handler(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = record_interrupt;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGINT, &action, NULL);
}

int ddpm_interrupt_requested(void) { return interrupt_flag != 0; }

void ddpm_clear_interrupt(void) { interrupt_flag = 0; }
