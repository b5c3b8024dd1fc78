/* cli/commands.h: the subcommands of `kiloml`, one line each (name, one-line help).
 * Each is implemented as `int kml_cmd_<name>(int argc, char **argv)` in cli/cmd_<name>.c,
 * with argv[0] the subcommand name; it returns the process exit status. */
#ifndef KILOML_CLI_COMMANDS_H
#define KILOML_CLI_COMMANDS_H

#define KML_COMMANDS(X) \
    X(version, "print the version:            kiloml version") \
    X(data, "describe a dataset:           kiloml data info FILE [data options] [--json]") \
    X(train,   "train a model:                kiloml train --data FILE --cell fastgrnn --hidden H -o MODEL.kml") \
    X(eval,    "test accuracy of a model:     kiloml eval MODEL.kml --data FILE [--json]") \
    X(quantize, "integer model of a FastGRNN:  kiloml quantize MODEL.kml --calib FILE -o MODEL.q.kml [--bits 8|16] [--flash-budget B]") \
    X(export, "write a C header for a device: kiloml export MODEL.kml -o model.h [--target T] [--name P] [--measure [--json]]") \
    X(emi,     "EMI-RNN train and evaluate:   kiloml emi train|eval ... (early prediction)")


#define KML_DECLARE_CMD(name, help) int kml_cmd_##name(int argc, char **argv);
KML_COMMANDS(KML_DECLARE_CMD)
#undef KML_DECLARE_CMD

#endif
