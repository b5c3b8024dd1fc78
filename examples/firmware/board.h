/* examples/firmware/board.h: the little a test firmware needs from its board, for three boards:
 * an ATmega328P (board_avr.c: UART0, GPIOR0 markers, `cli; sleep` to stop), a Cortex-M0+ run on
 * QEMU's micro:bit machine (board_arm.c + startup_arm.c: nRF51 UART0, marker loads, semihosting
 * exit) and the host (board_host.c: stdout, exit()), so the same main prints the same lines.
 *
 * Markers delimit measured regions: kml_mark(odd id) opens region id, kml_mark(id + 1) closes
 * it; the simulator harness (tools/simavr_run.c, tools/qemu_insn_plugin.c) reports per region
 * the entry count and the cycles (AVR, exact) or instructions and estimated cycles (ARM).
 * Region 1, empty, is the marker overhead that the harness subtracts. On the host it is a no-op.
 */
#ifndef KML_FW_BOARD_H
#define KML_FW_BOARD_H

#include <stdint.h>

void kml_board_init(void);
void kml_board_putc(char c);
/* One byte from the board's serial input (UART RX; the host's stdin), waiting for it; -1 at the
 * end of the input (host only: a chip waits for ever). Test windows are streamed in this way. */
int kml_board_getc(void);
void kml_board_exit(int status); /* never returns; status 0 = success */

/* Stack peak measured by painting at start-up (bytes), or 0 where the board does not paint. */
uint16_t kml_board_painted_stack_peak(void);

#if defined(__AVR__)
#include <avr/io.h>
#define kml_mark(id) (GPIOR0 = (uint8_t)(id))
#elif defined(__arm__)
void kml_mark(uint32_t id);
#else
#define kml_mark(id) ((void)(id))
#endif

#endif
