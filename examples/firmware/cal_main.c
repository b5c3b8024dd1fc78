/* examples/firmware/cal_main.c: the simulator calibration firmware.
 *
 * 1. Hand-written instruction sequences between markers, whose cycle cost the ATmega328P
 *    datasheet / Cortex-M0+ TRM give; tests/device.cmake (KML_CAL_EXPECT) holds those figures
 *    and fails when the harness reports anything else.
 * 2. A stack consumer (region 17) so the harness's stack peak can be checked against the
 *    firmware's own stack painting ("info_stack_painted=").
 * 3. A tiny self-contained kernel (16x16 int8 weights in flash times an int16 vector, int32
 *    accumulate, rounding shift) whose output lines ("y<i>=", "sum=") must equal the host
 *    build's, proving the host-vs-device comparison path before the real runtime is in.
 */
#include <stdint.h>

#include "board.h"
#include "out.h"

#if defined(__AVR__)
#include <avr/pgmspace.h>
#define CAL_FLASH PROGMEM
#define CAL_READ_I8(p) ((int8_t)pgm_read_byte(p))
#else
#define CAL_FLASH
#define CAL_READ_I8(p) (*(p))
#endif

static const int8_t KERNEL_W[16 * 16] CAL_FLASH = {
    92, -124, -27, 42, -97, 45, -99, -38, 90, 101, 44, -101, -98, -33, -109, -16,
    -7, -20, 125, -112, 127, -103, 47, -32, -99, -124, 44, 52, -99, -126, -85, -58,
    -8, -13, -70, 114, 95, -33, 46, 55, -120, -39, 81, 110, -71, -112, 75, -56,
    21, 53, 76, 9, -87, -111, 127, -122, 54, -30, -82, 95, -68, 121, -75, 125,
    -53, 20, -88, 74, -119, -4, -60, 51, -126, -34, 22, -33, 51, 106, -19, 44,
    84, -83, 1, -18, -23, 47, 96, 102, 7, -52, 28, -124, 103, 82, -74, -35,
    -84, -32, 73, 106, 116, -7, 118, 6, 32, 107, 19, -90, 100, -30, -110, 85,
    -115, 75, 51, -9, -107, -22, -22, -70, -24, 58, 14, 91, -12, -120, -58, 30,
    115, 78, 51, -118, 120, 80, 93, -24, 59, 120, -33, 122, -92, 114, 82, 124,
    -104, 7, 123, -36, 7, 58, 52, -72, -78, 37, 27, -101, -67, -112, -4, 119,
    -8, 86, -1, 98, -19, 120, -111, 17, -87, -2, 19, 21, 75, -110, 69, -41,
    78, -38, 113, 84, -106, -104, 87, -103, 60, -124, -37, -2, 25, -27, 113, 34,
    20, -15, 68, -86, 44, -22, 41, -72, 68, -11, 71, 45, -78, -72, -126, -97,
    -123, -69, -84, 25, -102, 124, 107, -107, 94, 79, -24, 58, 96, -4, 60, 86,
    -98, 23, -101, 26, -117, 29, 62, 23, -29, 83, 18, 124, 47, 95, 34, 12,
    23, -93, -59, -30, 107, 93, -121, -27, -16, 127, -40, 9, -22, 79, 119, 74,};

/* y[i] = (sum_j W[i][j] * x[j] + 2^6) >> 7, as int32 then saturated to int16. */
static __attribute__((noinline)) void kernel_matvec(const int16_t *x, int16_t *y)
{
    for (uint8_t i = 0; i < 16; i++) {
        int32_t acc = 0;
        for (uint8_t j = 0; j < 16; j++) acc += (int32_t)CAL_READ_I8(&KERNEL_W[i * 16 + j]) * x[j];
        acc = (acc + 64) >> 7;
        y[i] = (int16_t)(acc > 32767 ? 32767 : acc < -32768 ? -32768 : acc);
    }
}

static __attribute__((noinline)) uint8_t stack_consumer(uint8_t seed)
{
    volatile uint8_t buf[200];
    for (uint16_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)(seed + i);
    uint8_t s = 0;
    for (uint16_t i = 0; i < sizeof buf; i++) s = (uint8_t)(s ^ buf[i]);
    return s;
}

#if defined(__AVR__)
/* open marker, body, close marker, all in one asm block so nothing else lands in between */
#define CAL_REGION(id, body, ...)                                                          \
    __asm__ volatile("ldi r24, " #id "\n\tout 0x1e, r24\n\t" body "\n\tldi r24, (" #id   \
                     "+1)\n\tout 0x1e, r24\n\tclr r1" ::__VA_ARGS__                          \
                     : "r0", "r24", "r25", "memory")
static uint8_t cal_byte = 0x5A;
static void calibrate(void)
{
    CAL_REGION(1, "");
    CAL_REGION(3, ".rept 100\n\tnop\n\t.endr");
    CAL_REGION(5, "lpm r0, Z", "z"(KERNEL_W));
    CAL_REGION(7, "mul r24, r24");
    CAL_REGION(9, "rcall 1f\n\trjmp 2f\n1:\tret\n2:");
    CAL_REGION(11, "call 1f\n\trjmp 2f\n1:\tret\n2:");
    CAL_REGION(13, "ld r0, X", "x"(&cal_byte));
    CAL_REGION(15, "ldi r25, 10\n1:\tdec r25\n\tbrne 1b");
}
#elif defined(__arm__)
#define CAL_REGION(id, body)                                                                 \
    __asm__ volatile(".syntax unified\n\tmovs r0, #" #id "\n\tbl kml_mark\n\t" body             \
                     "\n\tmovs r0, #(" #id "+1)\n\tbl kml_mark" ::                              \
                         : "r0", "r1", "r2", "r3", "lr", "cc", "memory")
static void calibrate(void)
{
    CAL_REGION(1, "");
    CAL_REGION(3, ".rept 100\n\tnop\n\t.endr");
    CAL_REGION(5, "movs r1, #10\n1:\tsubs r1, #1\n\tbne 1b");
    CAL_REGION(7, "ldr r1, [sp]\n\tstr r1, [sp]");
    CAL_REGION(9, "push {r4-r7}\n\tpop {r4-r7}");
    CAL_REGION(11, "bl 1f\n\tb 2f\n1:\tbx lr\n2:");
    CAL_REGION(13, "movs r1, #3\n\tmovs r2, #5\n\tmuls r1, r2");
    CAL_REGION(15, "cmp r1, r1\n\tbeq 1f\n\tnop\n1:");
    CAL_REGION(17, "bl 1f\n\tb 2f\n1:\tpush {lr}\n\tpop {pc}\n2:");
}
#else
static void calibrate(void) {}
#endif

int main(void)
{
    kml_board_init();
    calibrate();

    kml_mark(19);
    uint8_t s = stack_consumer(7);
    kml_mark(20);

    int16_t x[16], y[16];
    for (uint8_t j = 0; j < 16; j++) x[j] = (int16_t)(j * 517 - 4000);
    kml_mark(21);
    kernel_matvec(x, y);
    kml_mark(22);

    int32_t sum = 0;
    for (uint8_t i = 0; i < 16; i++) {
        KML_PUTS("y");
        kml_out_u32(i);
        KML_PUTS("=");
        kml_out_i32(y[i]);
        kml_out_nl();
        sum += y[i];
    }
    KML_PUTS("sum=");
    kml_out_i32(sum);
    KML_PUTS("\nconsumer=");
    kml_out_u32(s);
    KML_PUTS("\ninfo_stack_painted=");
    kml_out_u32(kml_board_painted_stack_peak());
    KML_PUTS("\nDONE\n");
    kml_board_exit(0);
    return 0;
}
