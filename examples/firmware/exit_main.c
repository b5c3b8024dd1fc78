/* examples/firmware/exit_main.c: checks the simulators' exit paths (tests/device.cmake,
 * device_harness_exits_<target>). Built twice: fw_exit returns 3 from main() after printing
 * "bye" (AVR: avr-libc's _exit loop, reported by simavr_run as main's value; ARM: the start-up
 * passes it to the semihosting exit); fw_hang never stops (simavr_run's cycle limit, or QEMU's
 * time limit, must end it). */
#include "board.h"
#include "out.h"

int main(void)
{
    kml_board_init();
    KML_PUTS("bye\n");
#ifdef KML_HANG
    for (;;) {
        __asm__ volatile("" ::: "memory");
    }
#endif
    return 3;
}
