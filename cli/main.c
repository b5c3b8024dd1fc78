/* cli/main.c: `kiloml <command> ...`: find the command, hand it the rest of argv. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} kml_command;

#define KML_TABLE_ROW(name, help) {#name, kml_cmd_##name, help},
static const kml_command commands[] = {KML_COMMANDS(KML_TABLE_ROW)};
#undef KML_TABLE_ROW

static void usage(FILE *f)
{
    fprintf(f, "kiloml: train, compress and deploy recurrent models that fit in kilobytes\n\n"
               "usage: kiloml <command> [options]   (kiloml <command> --help for its options)\n\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("kiloml 0.1.0\n");
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "kiloml: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
