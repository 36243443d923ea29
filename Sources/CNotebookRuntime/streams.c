#include <sys/ioctl.h>
#include "cnotebookruntime.h"

int ddpm_unread_bytes(int fd) {
    int count = 0;
    return ioctl(fd, FIONREAD, &count) == 0 ? count : 0;
}
