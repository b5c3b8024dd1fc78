/* examples/firmware/startup_arm.c: Cortex-M0+ start-up for budget.ld: vector table, .data copy,
 * .bss clear, stack painting, main(), then a semihosting exit with main's return value. Every
 * fault ends the run with status 100. */
#include <stdint.h>

#include "board.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
int main(void);
void kml_reset_handler(void);
void kml_fault_handler(void);
void kml_paint_stack(void);

__attribute__((section(".isr_vector"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))&_estack,
    kml_reset_handler,
    kml_fault_handler, /* NMI */
    kml_fault_handler, /* HardFault */
    0, 0, 0, 0, 0, 0, 0,
    kml_fault_handler, /* SVCall */
    0, 0,
    kml_fault_handler, /* PendSV */
    kml_fault_handler, /* SysTick */
};

#define PAINT 0xAAAAAAAAu
#define PAINT_GAP 16u /* words left unpainted under the painter's own stack pointer */

/* Fills [_ebss, sp - gap) with PAINT. Kept out of line so the QEMU plugin can be told to ignore
 * its stores (skip_lo/skip_hi) when it looks for the lowest stack store. */
__attribute__((noinline)) void kml_paint_stack(void)
{
    uint32_t *sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    for (uint32_t *p = &_ebss; p < sp - PAINT_GAP; p++) *p = PAINT;
}

uint16_t kml_board_painted_stack_peak(void)
{
    const uint32_t *p = &_ebss;
    while (p < &_estack && *p == PAINT) p++;
    return (uint16_t)((uintptr_t)&_estack - (uintptr_t)p);
}

void kml_reset_handler(void)
{
    uint32_t *src = &_sidata;
    for (uint32_t *dst = &_sdata; dst < &_edata;) *dst++ = *src++;
    for (uint32_t *dst = &_sbss; dst < &_ebss;) *dst++ = 0;
    kml_paint_stack();
    kml_board_exit(main());
}

void kml_fault_handler(void) { kml_board_exit(100); }
