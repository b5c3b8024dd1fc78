/* cli/cmd_version.c: `kiloml version`. */
#include <stdio.h>

#include "commands.h"

int kml_cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("kiloml 0.1.0\n");
    return 0;
}
