/* examples/firmware/board_avr.c: ATmega328P at F_CPU: UART0 (TX and RX) at 2 Mbaud (U2X, UBRR 0: the
 * simulator models byte time, so a fast UART keeps runs short; a real Uno would use 115200),
 * stack painting in .init3, stop with `cli; sleep` (simavr's "done"). */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/sleep.h>

#include "board.h"

#define PAINT 0xAA
extern uint8_t _end;    /* end of .bss (avr-libc linker script) */
extern uint8_t __stack; /* RAMEND */

/* Runs after avr-libc has set SP and r1 (.init2) and before .data/.bss are set up (.init4):
 * fills the free RAM between .bss and the stack with PAINT. Uses no stack itself. */
void kml_paint_stack(void) __attribute__((naked, used, section(".init3")));
void kml_paint_stack(void)
{
    uint8_t *p = &_end;
    while (p <= &__stack) *p++ = PAINT;
}

uint16_t kml_board_painted_stack_peak(void)
{
    const uint8_t *p = &_end;
    while (p <= &__stack && *p == PAINT) p++;
    return (uint16_t)(&__stack + 1 - p);
}

void kml_board_init(void)
{
    UCSR0A = _BV(U2X0);
    UBRR0 = 0;
    UCSR0B = _BV(TXEN0) | _BV(RXEN0);
    UCSR0C = _BV(UCSZ01) | _BV(UCSZ00);
}

void kml_board_putc(char c)
{
    while (!(UCSR0A & _BV(UDRE0))) {}
    UDR0 = (uint8_t)c;
}

int kml_board_getc(void)
{
    while (!(UCSR0A & _BV(RXC0))) {}
    return UDR0;
}

void kml_board_exit(int status)
{
    while (!(UCSR0A & _BV(UDRE0))) {} /* last byte handed over (real board: wait for TXC0) */
    if (status != 0) {
        /* avr-libc's _exit loop: the harness reports r24 as the exit status */
        __asm__ volatile("mov r24, %0\n\tcli\n1:\trjmp 1b" ::"r"((uint8_t)status) : "r24");
    }
    cli();
    sleep_enable();
    sleep_cpu();
    for (;;) {}
}
