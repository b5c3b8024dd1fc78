/* examples/firmware/out.c: decimal and string output for the test firmware. */
#include "out.h"

#include "board.h"

void kml_out_str(const char *s)
{
    while (*s) kml_board_putc(*s++);
}

#if defined(__AVR__)
void kml_out_pstr(const char *s)
{
    char c;
    while ((c = (char)pgm_read_byte(s++)) != 0) kml_board_putc(c);
}
#endif

void kml_out_u32(uint32_t v)
{
    char buf[10];
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    while (n) kml_board_putc(buf[--n]);
}

void kml_out_i32(int32_t v)
{
    if (v < 0) {
        kml_board_putc('-');
        kml_out_u32(0u - (uint32_t)v);
    } else {
        kml_out_u32((uint32_t)v);
    }
}

void kml_out_nl(void) { kml_board_putc('\n'); }
