/* examples/firmware/board_arm.c: Cortex-M0+ image run on QEMU's micro:bit machine (nRF51,
 * same ARMv6-M instruction set): nRF51 UART0 for text, semihosting SYS_EXIT_EXTENDED for the
 * exit status, and the marker function the QEMU plugin watches. */
#include <stdint.h>

#include "board.h"

#define REG(addr) (*(volatile uint32_t *)(addr))
#define UART0 0x40002000u
#define UART_STARTRX REG(UART0 + 0x000u)
#define UART_STARTTX REG(UART0 + 0x008u)
#define UART_RXDRDY REG(UART0 + 0x108u)
#define UART_RXD REG(UART0 + 0x518u)
#define UART_TXDRDY REG(UART0 + 0x11Cu)
#define UART_ENABLE REG(UART0 + 0x500u)
#define UART_TXD REG(UART0 + 0x51Cu)

void kml_board_init(void)
{
    UART_ENABLE = 4;
    UART_STARTTX = 1;
    UART_STARTRX = 1;
}

int kml_board_getc(void)
{
    while (!UART_RXDRDY) {}
    UART_RXDRDY = 0; /* reading RXD raises it again when more bytes wait in the FIFO */
    return (int)(UART_RXD & 0xFFu);
}

void kml_board_putc(char c)
{
    UART_TXDRDY = 0;
    UART_TXD = (uint8_t)c;
    while (!UART_TXDRDY) {}
}

/* ldrb r0, [r0]: a load from address `id` (flash, always mapped); the plugin reads the id from
 * the load address of loads made inside this function. */
__attribute__((naked, noinline)) void kml_mark(uint32_t id)
{
    (void)id;
    __asm__ volatile("ldrb r0, [r0]\n\tbx lr");
}

void kml_board_exit(int status)
{
    volatile uint32_t block[2];
    block[0] = 0x20026u; /* ADP_Stopped_ApplicationExit */
    block[1] = (uint32_t)status;
    register uint32_t r0 __asm__("r0") = 0x20u; /* SYS_EXIT_EXTENDED */
    register volatile uint32_t *r1 __asm__("r1") = block;
    __asm__ volatile("bkpt 0xAB" : : "r"(r0), "r"(r1) : "memory");
    for (;;) {}
}
