/*
 * semihost.h - ARM semihosting (bkpt 0xab) for the emulated Cortex-M7.
 * QEMU runs with -semihosting-config enable=on,target=native: file names
 * are relative to QEMU's working directory.
 */
#ifndef TINYTS_SEMIHOST_H
#define TINYTS_SEMIHOST_H

#include <stddef.h>
#include <stdint.h>

#define SH_MODE_RB 1u /* fopen "rb" */
#define SH_MODE_WB 5u /* fopen "wb" */

/* Returns a handle >= 0, or -1. */
int32_t sh_open(const char *name, uint32_t mode);
int32_t sh_close(int32_t fd);
/* Both return the number of bytes NOT transferred (0 = all done). */
size_t sh_write(int32_t fd, const void *buf, size_t n);
size_t sh_read(int32_t fd, void *buf, size_t n);
/* File length in bytes, or -1. */
int32_t sh_flen(int32_t fd);
/* Writes a NUL-terminated string to the debug console. */
void sh_write0(const char *s);
/* Writes a whole file; returns 0 on success. */
int sh_write_file(const char *name, const void *buf, size_t n);
/* SYS_EXIT_EXTENDED: QEMU exits with `code` as its process status. */
void sh_exit(uint32_t code) __attribute__((noreturn));

#endif /* TINYTS_SEMIHOST_H */
