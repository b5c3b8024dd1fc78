/* cli/data_args.h: the data options every command that reads a dataset shares.
 *
 *   static const struct option longopts[] = {
 *       KML_DATA_LONG_OPTIONS
 *       {"hidden", required_argument, NULL, 'H'},
 *       {NULL, 0, NULL, 0}};
 *   kml_data_opts o; kml_data_opts_init(&o);
 *   while ((c = getopt_long(argc, argv, "H:", longopts, NULL)) != -1) {
 *       int r = kml_data_arg(c, optarg, &o, &err);
 *       if (r < 0) { fprintf(stderr, "kiloml: %s\n", err.msg); return 2; }
 *       if (r > 0) continue;
 *       switch (c) { ... your own options ... }
 *   }
 *
 * The option codes are >= KML_DATA_OPT_BASE (1000), so they never collide with short options.
 * Strings in kml_data_opts point into argv (no copies: argv outlives the command). */
#ifndef KILOML_CLI_DATA_ARGS_H
#define KILOML_CLI_DATA_ARGS_H

#include <getopt.h>

#include "kiloml/dataset.h"
#include "kiloml/error.h"

enum {
    KML_DATA_OPT_BASE = 1000,
    KML_OPT_DATA = KML_DATA_OPT_BASE,
    KML_OPT_TEST_DATA,
    KML_OPT_LABELS,
    KML_OPT_X_NAME,
    KML_OPT_LENGTHS_NAME,
    KML_OPT_GROUP,
    KML_OPT_TIMESTEPS,
    KML_OPT_LAYOUT,
    KML_OPT_LABEL_COL,
    KML_OPT_SKIP_COLS,
    KML_OPT_GROUP_COL,
    KML_OPT_TEST_FRAC,
    KML_OPT_DATA_SEED,
    KML_OPT_FEATURES,
    KML_DATA_OPT_END
};

/* struct option entries (no terminator) to put at the head of a command's long option table. */
#define KML_DATA_LONG_OPTIONS                                             \
    {"data", required_argument, NULL, KML_OPT_DATA},                      \
    {"test-data", required_argument, NULL, KML_OPT_TEST_DATA},            \
    {"labels", required_argument, NULL, KML_OPT_LABELS},                  \
    {"x-name", required_argument, NULL, KML_OPT_X_NAME},                  \
    {"lengths-name", required_argument, NULL, KML_OPT_LENGTHS_NAME},      \
    {"group", required_argument, NULL, KML_OPT_GROUP},                    \
    {"timesteps", required_argument, NULL, KML_OPT_TIMESTEPS},            \
    {"layout", required_argument, NULL, KML_OPT_LAYOUT},                  \
    {"label-col", required_argument, NULL, KML_OPT_LABEL_COL},            \
    {"skip-cols", required_argument, NULL, KML_OPT_SKIP_COLS},            \
    {"group-col", required_argument, NULL, KML_OPT_GROUP_COL},            \
    {"test-frac", required_argument, NULL, KML_OPT_TEST_FRAC},            \
    {"data-seed", required_argument, NULL, KML_OPT_DATA_SEED},            \
    {"features", required_argument, NULL, KML_OPT_FEATURES},

/* One paragraph of help for the data options (ends with a newline). */
#define KML_DATA_HELP                                                                                  \
    "data options:\n"                                                                                  \
    "  --data FILE          training data: HDF5 (X_train (N,T,F), y_train (N), optional X_test/y_test)\n" \
    "                       or CSV (wide: label then T*F values time-major; long: id,t,features...,label)\n" \
    "  --test-data FILE     test data (HDF5 or CSV); without it and without X_test in the HDF5 file,\n"  \
    "                       a seeded stratified hold-out of --test-frac is the test split\n"            \
    "  --labels NAME        HDF5 label datasets NAME_train/NAME_test (default y; e.g. y2)\n"           \
    "  --x-name NAME        HDF5 input datasets NAME_train/NAME_test (default X)\n"                    \
    "  --lengths-name NAME  HDF5 optional valid-length datasets (default lengths)\n"                   \
    "  --group NAME         HDF5 group datasets, e.g. subject -> subject_train (for group splits)\n"   \
    "  --timesteps T        CSV wide layout: steps per series (required; F = values / T)\n"           \
    "  --layout wide|long   CSV layout (default wide)\n"                                               \
    "  --label-col K        CSV label column, 0-based (default first for wide, last for long)\n"       \
    "  --skip-cols LIST     CSV columns to ignore, 0-based, comma-separated (e.g. 1)\n"                \
    "  --group-col K        CSV column holding a group id (subject, speaker), 0-based\n"               \
    "  --test-frac F        fraction held out as test when there is no test data (default 0.2)\n"      \
    "  --data-seed S        seed of the held-out split (default 0)\n"                                 \
    "  --features LIST      keep these input features, 0-based indices or ranges in this order (e.g.\n" \
    "                       0-5,9-14); the model then has that many inputs. Give the same list to every\n" \
    "                       command that reads data for this model (eval, quantize, export, emi)\n"

/* Consume one data option: returns 1 if opt was one of ours (o updated), 0 if not ours,
 * -1 on a bad value (err names the option and what was expected). */
int kml_data_arg(int opt, const char *arg, kml_data_opts *o, kml_error *err);

/* Tell the user on stderr when the test split was held out of the training file (every command that loads
 * data calls this after kml_data_load, so the notice reads the same everywhere). Prints nothing otherwise. */
void kml_data_report_split(const kml_data_opts *o, const kml_data *d);

#endif
