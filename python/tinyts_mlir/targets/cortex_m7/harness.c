/*
 * harness.c - runs one inference of the adapter's tinyts_harness_invoke()
 * on the emulated Cortex-M7 (see tinyts_harness.h for the contract).
 *
 *  1. reads "input.bin" (exactly tinyts_harness_input_bytes) through
 *     semihosting into the harness I/O region (outside the model's RAM),
 *  2. paints the free stack below the current SP,
 *  3. reads the FPGAIO free-running counter before and after the call
 *     (with QEMU -icount the counter measures executed instructions),
 *  4. scans the paint for the deepest stack word the call touched,
 *  5. writes "output.bin" and "stats.bin" (struct tinyts_stats).
 *
 * Exit status (main's return): 0 ok, 3 invoke returned non-zero (output and
 * stats still written), 4 cannot open input, 5 input size mismatch,
 * 6 output write failed, 7 stats write failed, 8 I/O region too small.
 */
#include <stddef.h>
#include <stdint.h>

#include "semihost.h"
#include "tinyts_harness.h"

#define FPGAIO_COUNTER (*(volatile uint32_t *)0x40028018u)
#define STACK_PAINT 0xC5A5A55Cu
#define STATS_MAGIC 0x54535453u /* "STST" */
#define STATS_VERSION 1u

extern uint32_t __stack_limit__[], __stack_top__[];
extern uint8_t __harness_io_start__[], __harness_io_end__[];

/* stats.bin: little-endian uint32 fields. */
struct tinyts_stats {
    uint32_t magic;
    uint32_t version;
    int32_t invoke_status;
    uint32_t counter_ticks;          /* around the invoke call */
    uint32_t counter_baseline_ticks; /* two back-to-back reads */
    uint32_t stack_used_invoke;      /* bytes below SP at the call */
    uint32_t stack_used_total;       /* bytes below __stack_top__ */
    uint32_t stack_size;
    uint32_t input_bytes;
    uint32_t output_bytes;
};

static inline uint32_t read_sp(void) {
    uint32_t sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    return sp;
}

int main(void) {
    const uint32_t in_n = tinyts_harness_input_bytes;
    const uint32_t out_n = tinyts_harness_output_bytes;
    const uint32_t in_alloc = (in_n + 7u) & ~7u;
    uint8_t *in = __harness_io_start__;
    uint8_t *out = __harness_io_start__ + in_alloc;
    if ((uint32_t)(__harness_io_end__ - __harness_io_start__) < in_alloc + out_n)
        return 8;

    int32_t fd = sh_open("input.bin", SH_MODE_RB);
    if (fd < 0) return 4;
    int32_t len = sh_flen(fd);
    if (len != (int32_t)in_n || (in_n && sh_read(fd, in, in_n) != 0)) {
        (void)sh_close(fd);
        return 5;
    }
    (void)sh_close(fd);
    for (uint32_t i = 0; i < out_n; ++i) out[i] = 0xA5u; /* poison */

    /* Counter cost of two adjacent reads, subtracted on the host. */
    uint32_t b0 = FPGAIO_COUNTER;
    uint32_t b1 = FPGAIO_COUNTER;

    /* Paint everything below this frame (nothing else uses the stack). */
    volatile uint32_t *limit = (volatile uint32_t *)__stack_limit__;
    const uint32_t sp = read_sp();
    for (volatile uint32_t *p = limit; (uint32_t)(uintptr_t)p < sp; ++p)
        *p = STACK_PAINT;

    __asm__ volatile("" ::: "memory");
    uint32_t t0 = FPGAIO_COUNTER;
    int rc = tinyts_harness_invoke((const int8_t *)in, in_n, (int8_t *)out, out_n);
    uint32_t t1 = FPGAIO_COUNTER;
    __asm__ volatile("" ::: "memory");

    volatile uint32_t *p = limit;
    while ((uint32_t)(uintptr_t)p < sp && *p == STACK_PAINT) ++p;
    const uint32_t deepest = (uint32_t)(uintptr_t)p;

    struct tinyts_stats s;
    s.magic = STATS_MAGIC;
    s.version = STATS_VERSION;
    s.invoke_status = rc;
    s.counter_ticks = t1 - t0;
    s.counter_baseline_ticks = b1 - b0;
    s.stack_used_invoke = sp - deepest;
    s.stack_used_total = (uint32_t)(uintptr_t)__stack_top__ - deepest;
    s.stack_size = (uint32_t)((uintptr_t)__stack_top__ - (uintptr_t)__stack_limit__);
    s.input_bytes = in_n;
    s.output_bytes = out_n;

    if (sh_write_file("output.bin", out, out_n) != 0) return 6;
    if (sh_write_file("stats.bin", &s, sizeof s) != 0) return 7;
    return rc == 0 ? 0 : 3;
}
