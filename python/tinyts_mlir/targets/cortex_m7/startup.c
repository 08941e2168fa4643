/*
 * startup.c - vector table, reset and fault handling for the emulated
 * Cortex-M7 (QEMU mps2-an500), linked with m7.ld.
 *
 * Reset_Handler: enables the FPU, the configurable fault handlers and an
 * MPU guard region below the stack,
 * copies .data from flash, zeroes .bss, runs constructors, calls main()
 * and exits through semihosting SYS_EXIT_EXTENDED with main's return.
 *
 * Every exception handler writes a record to "fault.bin", prints a line
 * to the semihosting console and exits with 0x80 + exception number:
 * 0x82 NMI, 0x83 HardFault, 0x84 MemManage, 0x85 BusFault, 0x86 UsageFault,
 * 0x8B SVCall, 0x8C DebugMonitor, 0x8E PendSV, 0x8F SysTick.
 */
#include <stdint.h>
#include <string.h>

#include "semihost.h"

extern uint32_t __data_load__[], __data_start__[], __data_end__[];
extern uint32_t __bss_start__[], __bss_end__[];
extern uint32_t __stack_limit__[], __stack_top__[];
extern void (*__init_array_start__[])(void);
extern void (*__init_array_end__[])(void);

int main(void);
void Reset_Handler(void) __attribute__((noreturn));
void tinyts_fault_report(const uint32_t *frame, uint32_t code,
                         uint32_t exc_return) __attribute__((noreturn, used));

#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)
#define SCB_SHCSR (*(volatile uint32_t *)0xE000ED24u)
#define SCB_CFSR (*(volatile uint32_t *)0xE000ED28u)
#define SCB_HFSR (*(volatile uint32_t *)0xE000ED2Cu)
#define SCB_MMFAR (*(volatile uint32_t *)0xE000ED34u)
#define SCB_BFAR (*(volatile uint32_t *)0xE000ED38u)

#define MPU_CTRL (*(volatile uint32_t *)0xE000ED94u)
#define MPU_RBAR (*(volatile uint32_t *)0xE000ED9Cu)
#define MPU_RASR (*(volatile uint32_t *)0xE000EDA0u)

#define FAULT_RECORD_MAGIC 0x544C4654u /* "TFLT" */

/* Record written to fault.bin (little-endian uint32 each). */
struct tinyts_fault_record {
    uint32_t magic;
    uint32_t code;      /* 0x80 + exception number */
    uint32_t frame_ok;  /* 1 if the stacked frame was inside the stack */
    uint32_t pc, lr, xpsr;
    uint32_t cfsr, hfsr, mmfar, bfar;
    uint32_t sp;        /* stacked-frame address = SP at the fault */
    uint32_t stack_limit, stack_top;
};

static void put_hex(char *dst, uint32_t v) {
    static const char digits[] = "0123456789abcdef";
    for (int i = 7; i >= 0; --i) {
        dst[i] = digits[v & 0xFu];
        v >>= 4;
    }
}

void tinyts_fault_report(const uint32_t *frame, uint32_t code,
                         uint32_t exc_return) {
    (void)exc_return;
    struct tinyts_fault_record r;
    uint32_t sp = (uint32_t)(uintptr_t)frame;
    r.magic = FAULT_RECORD_MAGIC;
    r.code = code;
    r.frame_ok = sp >= (uint32_t)(uintptr_t)__stack_limit__ &&
                 sp + 32u <= (uint32_t)(uintptr_t)__stack_top__;
    r.pc = r.frame_ok ? frame[6] : 0u;
    r.lr = r.frame_ok ? frame[5] : 0u;
    r.xpsr = r.frame_ok ? frame[7] : 0u;
    r.cfsr = SCB_CFSR;
    r.hfsr = SCB_HFSR;
    r.mmfar = SCB_MMFAR;
    r.bfar = SCB_BFAR;
    r.sp = sp;
    r.stack_limit = (uint32_t)(uintptr_t)__stack_limit__;
    r.stack_top = (uint32_t)(uintptr_t)__stack_top__;

    char line[] = "tinyts: fault code=0x________ pc=0x________ cfsr=0x________\n";
    put_hex(line + 21, code);
    put_hex(line + 35, r.pc);
    put_hex(line + 51, r.cfsr);
    sh_write0(line);
    (void)sh_write_file("fault.bin", &r, sizeof r);
    sh_exit(code);
}

/*
 * Handlers reload SP first (the fault may be a stack overflow) and hand the
 * stacked-frame address (MSP or PSP per EXC_RETURN bit 2) to the reporter.
 */
#define TINYTS_HANDLER(name, excnum)                                   \
    __attribute__((naked, noreturn)) void name(void) {                 \
        __asm__ volatile(                                              \
            "tst lr, #4\n\t"                                           \
            "ite eq\n\t"                                               \
            "mrseq r0, msp\n\t"                                        \
            "mrsne r0, psp\n\t"                                        \
            "ldr r1, =__stack_top__\n\t"                               \
            "mov sp, r1\n\t"                                           \
            "movs r1, %0\n\t"                                          \
            "mov r2, lr\n\t"                                           \
            "b tinyts_fault_report\n\t"                                \
            ".ltorg\n\t" ::"i"(0x80 + (excnum)));                      \
    }

TINYTS_HANDLER(NMI_Handler, 2)
TINYTS_HANDLER(HardFault_Handler, 3)
TINYTS_HANDLER(MemManage_Handler, 4)
TINYTS_HANDLER(BusFault_Handler, 5)
TINYTS_HANDLER(UsageFault_Handler, 6)
TINYTS_HANDLER(SVC_Handler, 11)
TINYTS_HANDLER(DebugMon_Handler, 12)
TINYTS_HANDLER(PendSV_Handler, 14)
TINYTS_HANDLER(SysTick_Handler, 15)

typedef void (*vector_t)(void);

__attribute__((section(".vectors"), used)) const vector_t tinyts_vectors[16] = {
    (vector_t)(uintptr_t)__stack_top__,
    Reset_Handler,
    NMI_Handler,
    HardFault_Handler,
    MemManage_Handler,
    BusFault_Handler,
    UsageFault_Handler,
    0,
    0,
    0,
    0,
    SVC_Handler,
    DebugMon_Handler,
    0,
    PendSV_Handler,
    SysTick_Handler,
};

void Reset_Handler(void) {
    /* FPU: full access for CP10/CP11, before any floating-point code. */
    SCB_CPACR |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    /* MemManage, BusFault and UsageFault get their own handlers. */
    SCB_SHCSR |= (1u << 16) | (1u << 17) | (1u << 18);
    __asm__ volatile("dsb\n\tisb" ::: "memory");

    /*
     * Stack guard: the stack sits at the bottom of RAM (m7.ld) and the MPU
     * makes the 1 MiB below it no-access, so an overflow raises MemManage
     * instead of silently writing whatever QEMU maps there.  PRIVDEFENA
     * keeps the default map everywhere else.
     */
    MPU_RBAR = (((uint32_t)(uintptr_t)__stack_limit__ - 0x100000u) & ~0xFFFFFu) |
               (1u << 4) /* VALID */ | 0u /* region 0 */;
    MPU_RASR = (1u << 28) /* XN */ | (0u << 24) /* AP: no access */ |
               (19u << 1) /* 2^(19+1) = 1 MiB */ | 1u /* ENABLE */;
    MPU_CTRL = (1u << 2) /* PRIVDEFENA */ | 1u /* ENABLE */;
    __asm__ volatile("dsb\n\tisb" ::: "memory");

    volatile uint32_t *src = __data_load__;
    volatile uint32_t *dst = __data_start__;
    while (dst < __data_end__) *dst++ = *src++;
    for (dst = __bss_start__; dst < __bss_end__;) *dst++ = 0u;

    for (void (**f)(void) = __init_array_start__; f < __init_array_end__; ++f)
        (*f)();

    sh_exit((uint32_t)main());
}

/* exit()/abort() from newlib end up here: leave QEMU with that status. */
void _exit(int status) __attribute__((noreturn));
void _exit(int status) { sh_exit((uint32_t)status & 0xFFu); }
