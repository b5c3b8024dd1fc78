/* tools/simavr_run.c: run an AVR firmware image in libsimavr and report what it did.
 *
 *   simavr_run [-m atmega328p] [-f 16000000] [-c max_cycles] [-i input_file] [-q] firmware.elf
 *
 * stdout: the firmware's UART0 bytes, verbatim, then key=value lines (each prefixed "sim_"):
 *   sim_state=done|exit|crashed|cycle_limit   sim_total_cycles=N   sim_stack_peak_bytes=N
 *   sim_marker_overhead=N            cycles of an empty region (marker id 1), 0 if never used
 *   sim_count_<id>=N sim_cycles_<id>=N   for each region id (odd): times entered, and the cycles
 *                                    spent inside summed over all entries minus the overhead
 *   sim_min_<id>=N sim_max_<id>=N     the shortest / longest single entry (overhead removed)
 * stderr: simavr's own log lines.
 * -i: the file's bytes are fed to UART0's receiver once the firmware has enabled it (RXEN0),
 * as fast as its input FIFO takes them (simavr's XON/XOFF signals; the UART then delivers them
 * at the programmed baud rate).
 *
 * Markers: the firmware writes a region id to GPIOR0 (`out` = 1 cycle): an odd id opens region
 * id, id + 1 closes it. The callback runs at the start of the `out`, so a region's raw length
 * includes the opening `out` and whatever sits between the two writes; region 1, opened and
 * closed with nothing in between, measures that overhead and is subtracted from every region.
 *
 * Stack peak: RAMEND - (lowest SP seen after any instruction, except the transient SP between
 * the `out SPH` and `out SPL` of a frame set-up); interrupts included.
 *
 * Exit status: 0 when the firmware stopped with `cli; sleep` (avr state done); main()'s return
 * value when it reached avr-libc's `_exit` loop (`cli; rjmp .-2`); 1 crashed; 2 cycle limit;
 * 3 usage or load error.
 */
#define _POSIX_C_SOURCE 200809L /* getopt */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <simavr/avr_uart.h>
#include <simavr/sim_avr.h>
#include <simavr/sim_elf.h>
#include <simavr/sim_io.h>
#include <simavr/sim_irq.h>

#define GPIOR0_DATA_ADDR 0x3E /* I/O 0x1E + 0x20 */
#define MAX_REGION 256
#define OP_CLI 0x94F8u
#define OP_RJMP_SELF 0xCFFFu /* rjmp .-2 */

typedef struct {
    unsigned long long count, total, min, max;
    unsigned long long opened_at;
    int open;
} region;

static region regions[MAX_REGION];
static int quiet;

/* UART0 input (-i) */
static unsigned char *in_bytes;
static size_t in_len, in_pos;
static int in_xoff;

static void on_uart_xon(struct avr_irq_t *irq, uint32_t value, void *param)
{
    (void)irq;
    (void)value;
    (void)param;
    in_xoff = 0;
}

static void on_uart_xoff(struct avr_irq_t *irq, uint32_t value, void *param)
{
    (void)irq;
    (void)value;
    (void)param;
    in_xoff = 1;
}

static int read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    size_t cap = 1 << 16;
    in_bytes = malloc(cap);
    for (;;) {
        if (!in_bytes) break;
        in_len += fread(in_bytes + in_len, 1, cap - in_len, f);
        if (in_len < cap) break;
        unsigned char *grown = realloc(in_bytes, cap *= 2);
        if (!grown) free(in_bytes);
        in_bytes = grown;
    }
    int bad = ferror(f) || !in_bytes;
    fclose(f);
    return bad ? -1 : 0;
}

static void log_to_stderr(avr_t *avr, const int level, const char *fmt, va_list ap)
{
    (void)avr;
    if (quiet && level > LOG_ERROR) return;
    vfprintf(stderr, fmt, ap);
}

static void on_uart_byte(struct avr_irq_t *irq, uint32_t value, void *param)
{
    (void)irq;
    (void)param;
    putchar((int)(value & 0xFF));
}

static void on_marker(avr_t *avr, avr_io_addr_t addr, uint8_t v, void *param)
{
    (void)param;
    avr->data[addr] = v; /* a write hook must store the value itself */
    if (v == 0) return;
    if (v & 1) {
        regions[v].opened_at = avr->cycle;
        regions[v].open = 1;
        return;
    }
    region *r = &regions[v - 1];
    if (!r->open) return;
    unsigned long long d = avr->cycle - r->opened_at;
    r->open = 0;
    if (r->count == 0 || d < r->min) r->min = d;
    if (d > r->max) r->max = d;
    r->total += d;
    r->count++;
}

static uint16_t flash_word(const avr_t *avr, avr_flashaddr_t pc)
{
    return (uint16_t)(avr->flash[pc] | (avr->flash[pc + 1] << 8));
}

static uint16_t stack_pointer(const avr_t *avr)
{
    return (uint16_t)(avr->data[R_SPL] | (avr->data[R_SPH] << 8));
}

/* avr-gcc changes SP in two `out`s, SPH first (then SREG, then SPL): between them SP holds a
 * transient value that is not a real stack depth. True when the next instruction, or the one
 * after an `out SREG`, is the pending `out SPL`. */
static int sp_write_pending(const avr_t *avr)
{
    uint16_t op = flash_word(avr, avr->pc);
    if ((op & 0xFE0Fu) == 0xBE0Fu) op = flash_word(avr, avr->pc + 2); /* out SREG, r */
    return (op & 0xFE0Fu) == 0xBE0Du;                                  /* out SPL, r */
}

static void usage(void)
{
    fprintf(stderr, "usage: simavr_run [-m mcu] [-f hz] [-c max_cycles] [-i input_file] [-q] firmware.elf\n");
}

int main(int argc, char **argv)
{
    const char *mcu = "atmega328p";
    unsigned long freq = 16000000UL;
    unsigned long long max_cycles = 2000000000ULL;
    const char *input = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "m:f:c:i:qh")) != -1) {
        switch (opt) {
        case 'i': input = optarg; break;
        case 'm': mcu = optarg; break;
        case 'f': freq = strtoul(optarg, NULL, 0); break;
        case 'c': max_cycles = strtoull(optarg, NULL, 0); break;
        case 'q': quiet = 1; break;
        case 'h': usage(); return 0;
        default: usage(); return 3;
        }
    }
    if (optind != argc - 1) {
        usage();
        return 3;
    }
    avr_global_logger_set(log_to_stderr);
    if (input && read_file(input) != 0) {
        fprintf(stderr, "simavr_run: cannot read input file '%s'\n", input);
        return 3;
    }

    elf_firmware_t fw;
    memset(&fw, 0, sizeof fw);
    if (elf_read_firmware(argv[optind], &fw) != 0) {
        fprintf(stderr, "simavr_run: cannot read ELF '%s'\n", argv[optind]);
        return 3;
    }
    avr_t *avr = avr_make_mcu_by_name(mcu);
    if (!avr) {
        fprintf(stderr, "simavr_run: unknown MCU '%s' (simavr --list-cores)\n", mcu);
        return 3;
    }
    avr_init(avr);
    avr->frequency = (uint32_t)freq;
    avr->log = quiet ? 0 : 1;
    avr_load_firmware(avr, &fw);
    avr->frequency = (uint32_t)freq; /* the ELF may carry its own; the command line wins */

    /* UART0: raw bytes, no stdio echo, no host sleep while the firmware polls UDRE. */
    uint32_t flags = 0;
    avr_ioctl(avr, AVR_IOCTL_UART_GET_FLAGS('0'), &flags);
    flags &= ~(uint32_t)(AVR_UART_FLAG_STDIO | AVR_UART_FLAG_POLL_SLEEP);
    avr_ioctl(avr, AVR_IOCTL_UART_SET_FLAGS('0'), &flags);
    avr_irq_t *tx = avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUTPUT);
    if (tx) avr_irq_register_notify(tx, on_uart_byte, NULL);
    avr_register_io_write(avr, GPIOR0_DATA_ADDR, on_marker, NULL);
    avr_irq_t *rx = avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_INPUT);
    if (input) {
        avr_irq_t *xon = avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XON);
        avr_irq_t *xoff = avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XOFF);
        if (!rx || !xon || !xoff) {
            fprintf(stderr, "simavr_run: %s has no UART0 input\n", mcu);
            return 3;
        }
        avr_irq_register_notify(xon, on_uart_xon, NULL);
        avr_irq_register_notify(xoff, on_uart_xoff, NULL);
    }

    const char *how = "done";
    int status = 0;
    uint16_t min_sp = stack_pointer(avr);
    for (;;) {
        /* UCSR0B (0xC1) bit RXEN0 (4): the receiver is on */
        while (in_pos < in_len && !in_xoff && (avr->data[0xC1] & 0x10)) avr_raise_irq(rx, in_bytes[in_pos++]);
        int state = avr_run(avr);
        uint16_t sp = stack_pointer(avr);
        if (sp < min_sp && !sp_write_pending(avr)) min_sp = sp;
        if (state == cpu_Done) break;
        if (state == cpu_Crashed) {
            how = "crashed";
            status = 1;
            break;
        }
        if (flash_word(avr, avr->pc) == OP_RJMP_SELF && avr->pc >= 2 &&
            flash_word(avr, avr->pc - 2) == OP_CLI) {
            how = "exit";
            status = avr->data[24]; /* main's return value, low byte in r24 */
            break;
        }
        if (avr->cycle >= max_cycles) {
            how = "cycle_limit";
            status = 2;
            break;
        }
    }
    fflush(stdout);

    unsigned long long overhead = regions[1].count ? regions[1].min : 0;
    printf("\nsim_state=%s\n", how);
    printf("sim_total_cycles=%llu\n", (unsigned long long)avr->cycle);
    printf("sim_stack_peak_bytes=%u\n", (unsigned)(avr->ramend - min_sp));
    printf("sim_marker_overhead=%llu\n", overhead);
    for (int id = 1; id < MAX_REGION; id += 2) {
        const region *r = &regions[id];
        if (!r->count) continue;
        printf("sim_count_%d=%llu\n", id, r->count);
        printf("sim_cycles_%d=%llu\n", id, r->total - r->count * overhead);
        printf("sim_min_%d=%llu\n", id, r->min - overhead);
        printf("sim_max_%d=%llu\n", id, r->max - overhead);
    }
    if (input) printf("sim_input_bytes_fed=%zu\nsim_input_bytes=%zu\n", in_pos, in_len);
    avr_terminate(avr);
    free(in_bytes);
    return status;
}
