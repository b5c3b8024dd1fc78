/* examples/firmware/out.h: tiny text output over kml_board_putc, no stdio.
 * KML_PUTS("literal") keeps the literal in flash on AVR (PSTR), where plain literals cost RAM. */
#ifndef KML_FW_OUT_H
#define KML_FW_OUT_H

#include <stdint.h>

void kml_out_str(const char *s);
void kml_out_i32(int32_t v);
void kml_out_u32(uint32_t v);
void kml_out_nl(void);

#if defined(__AVR__)
#include <avr/pgmspace.h>
void kml_out_pstr(const char *s); /* s in program memory */
#define KML_PUTS(lit) kml_out_pstr(PSTR(lit))
#else
#define KML_PUTS(lit) kml_out_str(lit)
#endif

#endif
