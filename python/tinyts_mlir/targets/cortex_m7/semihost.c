/* semihost.c - see semihost.h. */
#include "semihost.h"

#include <string.h>

enum {
    SYS_OPEN = 0x01,
    SYS_CLOSE = 0x02,
    SYS_WRITE0 = 0x04,
    SYS_WRITE = 0x05,
    SYS_READ = 0x06,
    SYS_FLEN = 0x0C,
    SYS_EXIT_EXTENDED = 0x20,
};

#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

static inline int32_t sh_call(uint32_t op, const void *arg) {
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return (int32_t)r0;
}

int32_t sh_open(const char *name, uint32_t mode) {
    uint32_t block[3] = {(uint32_t)(uintptr_t)name, mode, (uint32_t)strlen(name)};
    return sh_call(SYS_OPEN, block);
}

int32_t sh_close(int32_t fd) {
    uint32_t block[1] = {(uint32_t)fd};
    return sh_call(SYS_CLOSE, block);
}

size_t sh_write(int32_t fd, const void *buf, size_t n) {
    uint32_t block[3] = {(uint32_t)fd, (uint32_t)(uintptr_t)buf, (uint32_t)n};
    return (size_t)(uint32_t)sh_call(SYS_WRITE, block);
}

size_t sh_read(int32_t fd, void *buf, size_t n) {
    uint32_t block[3] = {(uint32_t)fd, (uint32_t)(uintptr_t)buf, (uint32_t)n};
    return (size_t)(uint32_t)sh_call(SYS_READ, block);
}

int32_t sh_flen(int32_t fd) {
    uint32_t block[1] = {(uint32_t)fd};
    return sh_call(SYS_FLEN, block);
}

void sh_write0(const char *s) { (void)sh_call(SYS_WRITE0, s); }

int sh_write_file(const char *name, const void *buf, size_t n) {
    int32_t fd = sh_open(name, SH_MODE_WB);
    if (fd < 0) return -1;
    size_t left = n ? sh_write(fd, buf, n) : 0;
    int32_t rc = sh_close(fd);
    return (left == 0 && rc == 0) ? 0 : -1;
}

void sh_exit(uint32_t code) {
    uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, code};
    for (;;) (void)sh_call(SYS_EXIT_EXTENDED, block);
}
