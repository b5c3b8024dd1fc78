/* examples/firmware/board_host.c: the host build of a test firmware (the reference output). */
#include <stdio.h>
#include <stdlib.h>

#include "board.h"

void kml_board_init(void) {}
void kml_board_putc(char c) { putchar(c); }
int kml_board_getc(void)
{
    int c = getchar();
    return c == EOF ? -1 : c;
}
uint16_t kml_board_painted_stack_peak(void) { return 0; }

void kml_board_exit(int status)
{
    fflush(stdout);
    exit(status);
}
