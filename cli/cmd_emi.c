/* cli/cmd_emi.c: `kiloml emi train|eval`: EMI-RNN training (multiple-instance rounds, then
 * early prediction) and evaluation with a threshold sweep (SPEC §4). Parsing and calls only. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "data_args.h"
#include "kiloml/emi_file.h"
#include "kiloml/emi_q.h"
#include "kiloml/emi_train.h"
#include "kiloml/model_file.h"
#include "kiloml/qmodel_file.h"
#include "kiloml/quantize.h"
#include "model_report.h"
#include "train_qat.h"

enum {
    O_WINDOW = 2000, O_STRIDE, O_NEG, O_K, O_ROUNDS, O_FRAC, O_STOP_ROUND, O_CELL, O_HIDDEN, O_RANKW, O_RANKU, O_GATE, O_UPD,
    O_DENW, O_DENU, O_EPOCHS, O_BATCH, O_LR, O_SEED, O_THREADS, O_JSON, O_QUIET, O_VALFRAC, O_VALGROUPS,
    O_OPT, O_THRESH, O_HELP, O_VALBYGROUP, O_CLIP, O_NORM, O_DECAY, O_INTEGER, O_BITS, O_WD, O_NOISE, O_GAIN, O_OFFSET, O_QAT, O_QATEP,
    O_QATBITS
};

static const char train_help[] =
    "usage: kiloml emi train --data FILE [data options] --window W --stride S\n"
    "                        --negative-class C|none [--k K] [--rounds R] [--frac-emi F]\n"
    "                        [cell and training options] -o MODEL.kml [--json]\n\n"
    "EMI-RNN: each series becomes a bag of windows (instances) of W steps at stride S; rounds of\n"
    "training relabel the instances (MI-RNN, last-step loss), the last frac-emi of the rounds train\n"
    "every step (EMI-RNN, early prediction). The model kept is the last round's best by validation\n"
    "bag accuracy.\n\n"
    "EMI options:\n"
    "  --window W            instance length in steps (required)\n"
    "  --stride S            step between instance starts (required)\n"
    "  --negative-class C    the class id meaning \"nothing happening\", or none (required: with none,\n"
    "                        instances outside the selected run leave the loss, and a bag without\n"
    "                        a run of K falls back to the largest summed confidence)\n"
    "  --k K                 minimum run of instances that decides a bag (default 2)\n"
    "  --rounds R            relabelling rounds (default 4)\n"
    "  --frac-emi F          fraction of the rounds trained with the every-step loss (default 0.5)\n"
    "  --stop-after-round N  end after round N of the schedule (lr decay and MI/EMI phases stay those of\n"
    "                        --rounds) and write that round's kept model: a truncated run, for checking a\n"
    "                        long recipe's first rounds against a recorded run (bench/paper --quick)\n"
    "  --val-frac F          validation fraction carved from the training split (default 0.1)\n"
    "  --val-by-group        carve the validation split as whole groups (needs --group, e.g. subject)\n"
    "  --val-groups LIST     instead: the test series whose --group id is in LIST (e.g. 5,6) are the\n"
    "                        validation set, the rest stay the test set (DSA-19's 4-2-2 subject split)\n"
    "cell and training options (as `kiloml train`):\n"
    "  --cell NAME           fastgrnn (default), fastrnn, rnn, gru, lstm\n"
    "  --hidden H            hidden units (default 16)\n"
    "  --rank-w R, --rank-u R   low rank of W / U (default 0 = full)\n"
    "  --gate-nonlin NL, --update-nonlin NL   sigmoid, tanh, relu, quantsigm, hardsigm, quanttanh\n"
    "  --density-w S, --density-u S           fraction of W / U entries kept (IHT; default 1)\n"
    "  --epochs E            epochs PER ROUND (default 10)\n"
    "  --batch B             instances per minibatch (default 100)\n"
    "  --lr LR               learning rate (default 0.01)   --optimizer adam|nesterov\n"
    "  --clip N              gradient-norm clipping (default 5; 0 = off)\n"
    "  --lr-decay-epoch E    lr x 0.1 from this global epoch on (default 2/3 of rounds x epochs)\n"
    "  --weight-decay X      decoupled weight decay of W, U, V: each step w -= lr * X * w (default 0 = off)\n"
    "  --input-noise S       add N(0, S^2) noise to the normalised inputs of every training minibatch\n"
    "                        (default 0 = off)\n"
    "  --input-gain S        scale each training instance's normalised feature by 1 + N(0, S^2) (one draw\n"
    "                        per instance and feature for all its steps; default 0 = off)\n"
    "  --input-offset S      shift it likewise by N(0, S^2) (default 0 = off)\n"
    "  --norm MODE           per-feature (default), per-step or none\n"
    "  --seed S              seed of initialisation, split and minibatch order (default 0)\n"
    "  --threads N           OpenBLAS threads (default: OpenBLAS's choice)\n"
    "  -o, --output FILE     model file to write (.kml)\n"
    "  --json                print the result as JSON on stdout\n"
    "  --quiet               no progress on stderr\n"
    "  --qat                 quantization-aware training: the last --qat-epochs epochs (counted over all\n"
    "                        rounds; default the last round) run on weights rounded to the integer grid\n"
    "                        (straight-through gradient) with quantsigm / quanttanh; the integer model is\n"
    "                        written into MODEL.kml beside /emi (kiloml emi eval then streams it)\n"
    "  --qat-epochs N        epochs of the QAT phase    --qat-bits 8|16   weight width (default 8)\n\n" KML_DATA_HELP;

static const char eval_help[] =
    "usage: kiloml emi eval MODEL.kml --data FILE [data options] [--threshold P|off] [--k K] [--json]\n\n"
    "Bag accuracy of an EMI-RNN model on the test split with early exit at softmax confidence P\n"
    "(default 0.99; an instance stops at the first step whose top probability is >= P, so P = 1 still\n"
    "stops where the float softmax rounds to 1; off: no early exit), the multiple-instance, early and total computation savings, and a sweep over\n"
    "the threshold (accuracy against the fraction of steps run). --k overrides the model's k.\n"
    "--val-groups LIST leaves out the test series of these --group ids (the validation set of\n"
    "`kiloml emi train --val-groups`), so the same test set is evaluated.\n"
    "--integer also quantizes the model (kiloml quantize's procedure, calibrated on the training\n"
    "split; --bits 8|16, default 16) and streams the test series through the device's integer EMI\n"
    "code (the same accuracy and step counts as the device, bit for bit). A quantized model\n"
    "(MODEL.q.kml of `kiloml quantize`) is streamed with its stored integer model, without\n"
    "--integer; --bits does not apply to it.\n\n" KML_DATA_HELP;

static int parse_int(const char *opt, const char *s, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < lo || v > hi) {
        fprintf(stderr, "kiloml: %s expects an integer in %d..%d, got '%s'\n", opt, lo, hi, s);
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int parse_double(const char *opt, const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || end == s || !(v >= lo && v <= hi)) {
        fprintf(stderr, "kiloml: %s expects a number in [%g, %g], got '%s'\n", opt, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

static const char *neg_name(int negative, char *buf, size_t n)
{
    if (negative < 0) return "none";
    snprintf(buf, n, "%d", negative);
    return buf;
}

/* Move the test series whose group is in `list` into *val (fresh arrays); the rest stay test. */
static int split_test_groups(kml_data *d, const char *list, kml_dataset *val, kml_error *err)
{
    int groups[64], ng = 0;
    const char *p = list;
    while (*p && ng < 64) {
        char *end;
        long g = strtol(p, &end, 10);
        if (end == p) return kml_error_set(err, "--val-groups expects comma-separated group ids, got '%s'", list);
        groups[ng++] = (int)g;
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') return kml_error_set(err, "--val-groups expects comma-separated ids, got '%s'", list);
    }
    if (!d->test.group)
        return kml_error_set(err, "--val-groups needs group ids in the test data (name them with --group)");
    int *vi = malloc(sizeof(int) * (d->test.n + 1)), *ti = malloc(sizeof(int) * (d->test.n + 1)), nv = 0, nt = 0;
    if (!vi || !ti) {
        free(vi);
        free(ti);
        return kml_error_set(err, "out of memory");
    }
    for (int i = 0; i < d->test.n; i++) {
        int in = 0;
        for (int j = 0; j < ng; j++) in |= d->test.group[i] == groups[j];
        if (in) vi[nv++] = i;
        else ti[nt++] = i;
    }
    int rc = -1;
    kml_dataset rest = {0};
    if (nv == 0) kml_error_set(err, "--val-groups %s: no test series has one of these group ids", list);
    else if (nt == 0) kml_error_set(err, "--val-groups %s: every test series would be validation", list);
    else if (kml_dataset_subset(&d->test, vi, nv, val, err) == 0 &&
             kml_dataset_subset(&d->test, ti, nt, &rest, err) == 0) {
        kml_dataset_free(&d->test);
        d->test = rest;
        rc = 0;
    }
    free(vi);
    free(ti);
    return rc;
}

/* /emi, and /quant when --qat made the integer model */
typedef struct emi_extra {
    const kml_qmodel *qm;
    const kml_emi_file_attrs *emi;
} emi_extra;

static int write_emi_extra(hid_t file, void *ctx, kml_error *err)
{
    const emi_extra *x = ctx;
    if (x->qm && kml_qmodel_file_extra(file, (void *)x->qm, err) != 0) return -1;
    return kml_emi_file_write_extra(file, (void *)x->emi, err);
}

static int emi_train(int argc, char **argv)
{
    static const struct option longopts[] = {
        KML_DATA_LONG_OPTIONS
        {"window", required_argument, NULL, O_WINDOW},
        {"stride", required_argument, NULL, O_STRIDE},
        {"negative-class", required_argument, NULL, O_NEG},
        {"k", required_argument, NULL, O_K},
        {"rounds", required_argument, NULL, O_ROUNDS},
        {"stop-after-round", required_argument, NULL, O_STOP_ROUND},
        {"frac-emi", required_argument, NULL, O_FRAC},
        {"cell", required_argument, NULL, O_CELL},
        {"hidden", required_argument, NULL, O_HIDDEN},
        {"rank-w", required_argument, NULL, O_RANKW},
        {"rank-u", required_argument, NULL, O_RANKU},
        {"gate-nonlin", required_argument, NULL, O_GATE},
        {"update-nonlin", required_argument, NULL, O_UPD},
        {"density-w", required_argument, NULL, O_DENW},
        {"density-u", required_argument, NULL, O_DENU},
        {"epochs", required_argument, NULL, O_EPOCHS},
        {"batch", required_argument, NULL, O_BATCH},
        {"lr", required_argument, NULL, O_LR},
        {"optimizer", required_argument, NULL, O_OPT},
        {"seed", required_argument, NULL, O_SEED},
        {"threads", required_argument, NULL, O_THREADS},
        {"val-frac", required_argument, NULL, O_VALFRAC},
        {"val-groups", required_argument, NULL, O_VALGROUPS},
        {"val-by-group", no_argument, NULL, O_VALBYGROUP},
        {"clip", required_argument, NULL, O_CLIP},
        {"norm", required_argument, NULL, O_NORM},
        {"lr-decay-epoch", required_argument, NULL, O_DECAY},
        {"weight-decay", required_argument, NULL, O_WD},
        {"input-noise", required_argument, NULL, O_NOISE},
        {"input-gain", required_argument, NULL, O_GAIN},
        {"input-offset", required_argument, NULL, O_OFFSET},
        {"qat", no_argument, NULL, O_QAT},
        {"qat-epochs", required_argument, NULL, O_QATEP},
        {"qat-bits", required_argument, NULL, O_QATBITS},
        {"output", required_argument, NULL, 'o'},
        {"json", no_argument, NULL, O_JSON},
        {"quiet", no_argument, NULL, O_QUIET},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0}};
    kml_data_opts dopts;
    kml_data_opts_init(&dopts);
    kml_emi_config ec;
    kml_emi_config_init(&ec);
    kml_train_config *tc = &ec.train;
    tc->model.cell = KML_CELL_FASTGRNN;
    if (tc->model.H <= 0) tc->model.H = 16;
    tc->epochs = 10;
    tc->progress = 1;
    const char *out = NULL, *val_groups = NULL;
    int json = 0, neg_set = 0, c, qat_epochs = -1;
    kml_cli_qat qat;
    kml_cli_qat_init(&qat);
    double dv;
    kml_error err = {0};
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
        int r = kml_data_arg(c, optarg, &dopts, &err);
        if (r < 0) {
            fprintf(stderr, "kiloml: %s\n", err.msg);
            return 2;
        }
        if (r > 0) continue;
        int bad = 0;
        switch (c) {
        case O_WINDOW: bad = parse_int("--window", optarg, 1, 65535, &ec.window); break;
        case O_STRIDE: bad = parse_int("--stride", optarg, 1, 65535, &ec.stride); break;
        case O_NEG:
            neg_set = 1;
            if (!strcmp(optarg, "none")) ec.negative = KML_EMI_NO_NEGATIVE;
            else bad = parse_int("--negative-class (a class id or none)", optarg, 0, 254, &ec.negative);
            break;
        case O_K: bad = parse_int("--k", optarg, 1, 255, &ec.k); break;
        case O_ROUNDS: bad = parse_int("--rounds", optarg, 1, 64, &ec.rounds); break;
        case O_FRAC: bad = parse_double("--frac-emi", optarg, 0, 1, &ec.frac_emi); break;
        case O_STOP_ROUND: bad = parse_int("--stop-after-round", optarg, 1, 64, &ec.stop_after_round); break;
        case O_CELL:
            if (kml_cell_parse(optarg, &tc->model.cell) != 0) {
                fprintf(stderr, "kiloml: --cell expects fastrnn, fastgrnn, rnn, gru or lstm, got '%s'\n", optarg);
                bad = -1;
            }
            break;
        case O_HIDDEN: bad = parse_int("--hidden", optarg, 1, 4096, &tc->model.H); break;
        case O_RANKW: bad = parse_int("--rank-w", optarg, 0, 4096, &tc->model.rank_w); break;
        case O_RANKU: bad = parse_int("--rank-u", optarg, 0, 4096, &tc->model.rank_u); break;
        case O_GATE:
        case O_UPD:
            if (kml_nonlin_parse(optarg, c == O_GATE ? &tc->model.gate_nl : &tc->model.update_nl) != 0) {
                fprintf(stderr, "kiloml: %s expects tanh, sigmoid, relu, quanttanh, quantsigm or hardsigm, got '%s'\n",
                        c == O_GATE ? "--gate-nonlin" : "--update-nonlin", optarg);
                bad = -1;
            }
            break;
        case O_DENW: bad = parse_double("--density-w", optarg, 1e-6, 1, &tc->density_w); break;
        case O_DENU: bad = parse_double("--density-u", optarg, 1e-6, 1, &tc->density_u); break;
        case O_EPOCHS: bad = parse_int("--epochs", optarg, 1, 100000, &tc->epochs); break;
        case O_BATCH: bad = parse_int("--batch", optarg, 1, 1000000, &tc->batch); break;
        case O_LR: bad = parse_double("--lr", optarg, 1e-12, 100, &tc->optim.lr); break;
        case O_OPT:
            if (kml_optim_parse(optarg, &tc->optim.kind) != 0) {
                fprintf(stderr, "kiloml: --optimizer expects adam or nesterov, got '%s'\n", optarg);
                bad = -1;
            }
            break;
        case O_SEED:
            bad = parse_double("--seed", optarg, 0, 9007199254740992.0, &dv);
            tc->seed = (uint64_t)dv;
            break;
        case O_THREADS: bad = parse_int("--threads", optarg, 1, 256, &tc->threads); break;
        case O_VALFRAC: bad = parse_double("--val-frac", optarg, 1e-6, 0.9, &tc->val_frac); break;
        case O_VALGROUPS: val_groups = optarg; break;
        case O_VALBYGROUP: tc->val_by_group = 1; break;
        case O_CLIP: bad = parse_double("--clip", optarg, 0, 1e30, &tc->optim.clip); break;
        case O_DECAY: bad = parse_int("--lr-decay-epoch", optarg, 0, 1000000, &tc->optim.decay_epoch); break;
        case O_WD: bad = parse_double("--weight-decay", optarg, 0, 1000, &tc->optim.weight_decay); break;
        case O_NOISE: bad = parse_double("--input-noise", optarg, 0, 100, &tc->input_noise); break;
        case O_GAIN: bad = parse_double("--input-gain", optarg, 0, 10, &tc->input_gain); break;
        case O_OFFSET: bad = parse_double("--input-offset", optarg, 0, 100, &tc->input_offset); break;
        case O_QAT: qat.on = 1; break;
        case O_QATEP: bad = parse_int("--qat-epochs", optarg, 1, 1000000, &qat_epochs); break;
        case O_QATBITS:
            bad = parse_int("--qat-bits (8 or 16)", optarg, 8, 16, &qat.bits);
            if (!bad && qat.bits != 8 && qat.bits != 16) {
                fprintf(stderr, "kiloml: --qat-bits expects 8 or 16, got '%s'\n", optarg);
                bad = -1;
            }
            break;
        case O_NORM:
            if (!strcmp(optarg, "per-feature")) tc->normalize = 1, tc->norm_mode = KML_NORM_PER_FEATURE;
            else if (!strcmp(optarg, "per-step")) tc->normalize = 1, tc->norm_mode = KML_NORM_PER_STEP;
            else if (!strcmp(optarg, "none")) tc->normalize = 0;
            else {
                fprintf(stderr, "kiloml: --norm expects per-feature, per-step or none, got '%s'\n", optarg);
                bad = -1;
            }
            break;
        case 'o': out = optarg; break;
        case O_JSON: json = 1; break;
        case O_QUIET: tc->progress = 0; break;
        case O_HELP: fputs(train_help, stdout); return 0;
        default: fprintf(stderr, "kiloml: emi train: unknown option (see kiloml emi train --help)\n"); return 2;
        }
        if (bad) return 2;
    }
    if (optind < argc) {
        fprintf(stderr, "kiloml: emi train: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (!dopts.path) {
        fprintf(stderr, "kiloml: emi train: --data FILE is required\n");
        return 2;
    }
    if (!ec.window || !ec.stride) {
        fprintf(stderr, "kiloml: emi train: --window and --stride are required\n");
        return 2;
    }
    if (!neg_set) {
        fprintf(stderr, "kiloml: emi train: --negative-class is required: a class id meaning \"nothing\", or "
                        "none (HAR-6, DSA-19 have none; there is no silent default of class 0)\n");
        return 2;
    }
    if (!out) {
        fprintf(stderr, "kiloml: emi train: -o MODEL.kml is required\n");
        return 2;
    }
    if (qat.on) {
        const int total = tc->epochs * ec.rounds;
        if (kml_cli_qat_setup(&qat, tc, &err) != 0) {
            fprintf(stderr, "kiloml: %s\n", err.msg);
            kml_cli_qat_free(&qat);
            return 2;
        }
        /* counted over all rounds: the last round by default */
        qat.epochs = qat_epochs > 0 ? (qat_epochs < total ? qat_epochs : total) : tc->epochs;
        tc->qat.start_epoch = total - qat.epochs;
    } else if (qat_epochs > 0) {
        fprintf(stderr, "kiloml: emi train: --qat-epochs needs --qat\n");
        return 2;
    }
    kml_data data;
    if (kml_data_load(&dopts, &data, &err) != 0) {
        fprintf(stderr, "kiloml: %s\n", err.msg);
        kml_cli_qat_free(&qat);
        return 1;
    }
    kml_dataset val = {0};
    if (val_groups) {
        if (split_test_groups(&data, val_groups, &val, &err) != 0) {
            fprintf(stderr, "kiloml: %s\n", err.msg);
            kml_data_free(&data);
            return 1;
        }
        ec.val = &val;
    }
    if (data.test_held_out && tc->progress)
        fprintf(stderr, "kiloml: no test data: a seeded stratified %.0f %% of the training file is the test split\n",
                100 * dopts.test_frac);
    kml_model m;
    kml_emi_summary sum;
    int rc = 1;
    if (kml_emi_train(&ec, &data, &m, &sum, &err) != 0) {
        fprintf(stderr, "kiloml: %s\n", err.msg);
        goto done;
    }
    kml_emi_file_attrs attrs = {ec.window, ec.stride, ec.k, ec.negative, ec.rounds, ec.frac_emi, data.train.T,
                                sum.train.val_accuracy, sum.train.test_accuracy};
    if (qat.on && kml_cli_qat_finish(&qat, &m, &data, tc->progress, &err) != 0) {
        fprintf(stderr, "kiloml: %s\n", err.msg);
        kml_model_free(&m);
        goto done;
    }
    emi_extra extra = {qat.have_q ? &qat.qm : NULL, &attrs};
    if (kml_model_file_write(out, &m, &sum.train, write_emi_extra, &extra, &err) != 0) {
        fprintf(stderr, "kiloml: %s\n", err.msg);
        kml_model_free(&m);
        goto done;
    }
    char nb[16];
    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "model", out);
        cJSON_AddNumberToObject(o, "window", ec.window);
        cJSON_AddNumberToObject(o, "stride", ec.stride);
        cJSON_AddNumberToObject(o, "k", ec.k);
        cJSON_AddStringToObject(o, "negative_class", neg_name(ec.negative, nb, sizeof nb));
        cJSON_AddNumberToObject(o, "rounds", ec.rounds);
        cJSON_AddNumberToObject(o, "mi_rounds", sum.mi_rounds);
        if (sum.rounds_run < ec.rounds) cJSON_AddNumberToObject(o, "stopped_after_round", sum.rounds_run);
        cJSON_AddNumberToObject(o, "epochs", sum.train.epochs);
        cJSON_AddNumberToObject(o, "best_epoch", sum.train.best_epoch);
        cJSON_AddNumberToObject(o, "val_bag_accuracy", sum.train.val_accuracy);
        cJSON_AddNumberToObject(o, "test_bag_accuracy", sum.train.test_accuracy);
        cJSON *rl = cJSON_AddArrayToObject(o, "relabelled_bags");
        for (int i = 0; i + 1 < sum.rounds_run && i < 64; i++) cJSON_AddItemToArray(rl, cJSON_CreateNumber(sum.relabelled[i]));
        cJSON *rv = cJSON_AddArrayToObject(o, "round_val_bag_accuracy");
        cJSON *rt = cJSON_AddArrayToObject(o, "round_test_bag_accuracy");
        cJSON *ra = cJSON_AddArrayToObject(o, "round_active_instances");
        for (int i = 0; i < sum.rounds_run && i < 64; i++) {
            cJSON_AddItemToArray(rv, cJSON_CreateNumber(sum.round_val_accuracy[i]));
            cJSON_AddItemToArray(rt, cJSON_CreateNumber(sum.round_test_accuracy[i]));
            cJSON_AddItemToArray(ra, cJSON_CreateNumber(sum.round_active[i]));
        }
        cJSON_AddNumberToObject(o, "skipped_steps", sum.train.skipped_steps);
        cJSON_AddNumberToObject(o, "train_seconds", sum.train.train_seconds);
        kml_report_model_json(o, &m);
        kml_cli_qat_json(o, &qat, &m);
        if (qat.on) cJSON_AddNumberToObject(o, "qat_rounded_passes", (double)qat.fq.applied);
        char *s = cJSON_Print(o);
        printf("%s\n", s);
        free(s);
        cJSON_Delete(o);
    } else {
        printf("EMI-RNN %s H=%d: window %d stride %d k %d negative %s, %d rounds (%d MI, %d EMI)\n",
               kml_cell_name(m.cfg.cell), m.cfg.H, ec.window, ec.stride, ec.k, neg_name(ec.negative, nb, sizeof nb),
               ec.rounds, sum.mi_rounds, ec.rounds - sum.mi_rounds);
        if (sum.rounds_run < ec.rounds) printf("stopped after round %d of %d\n", sum.rounds_run, ec.rounds);
        printf("validation bag accuracy %.2f %%, test bag accuracy %.2f %% (last step, no early exit)\n",
               100 * sum.train.val_accuracy, 100 * sum.train.test_accuracy);
        kml_cli_qat_print(stdout, &qat, &m);
        printf("wrote %s (%.1f s)\n", out, sum.train.train_seconds);
    }
    kml_model_free(&m);
    rc = 0;
done:
    kml_cli_qat_free(&qat);
    kml_dataset_free(&val);
    kml_data_free(&data);
    return rc;
}

static int emi_eval(int argc, char **argv)
{
    static const struct option longopts[] = {
        KML_DATA_LONG_OPTIONS
        {"threshold", required_argument, NULL, O_THRESH},
        {"k", required_argument, NULL, O_K},
        {"val-groups", required_argument, NULL, O_VALGROUPS},
        {"integer", no_argument, NULL, O_INTEGER},
        {"bits", required_argument, NULL, O_BITS},
        {"json", no_argument, NULL, O_JSON},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0}};
    kml_data_opts dopts;
    kml_data_opts_init(&dopts);
    double thr = 0.99;
    int k = 0, json = 0, integer = 0, bits = 16, bits_set = 0, c;
    const char *val_groups = NULL;
    kml_error err = {0};
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        int r = kml_data_arg(c, optarg, &dopts, &err);
        if (r < 0) {
            fprintf(stderr, "kiloml: %s\n", err.msg);
            return 2;
        }
        if (r > 0) continue;
        int bad = 0;
        switch (c) {
        case O_THRESH:
            if (!strcmp(optarg, "off")) thr = 2.0; /* above any confidence: no early exit */
            else bad = parse_double("--threshold", optarg, 0, 1, &thr);
            break;
        case O_K: bad = parse_int("--k", optarg, 1, 255, &k); break;
        case O_VALGROUPS: val_groups = optarg; break;
        case O_INTEGER: integer = 1; break;
        case O_BITS:
            bits_set = 1;
            bad = parse_int("--bits (8 or 16)", optarg, 8, 16, &bits);
            if (!bad && bits != 8 && bits != 16) {
                fprintf(stderr, "kiloml: --bits expects 8 or 16, got '%s'\n", optarg);
                bad = -1;
            }
            break;
        case O_JSON: json = 1; break;
        case O_HELP: fputs(eval_help, stdout); return 0;
        default: fprintf(stderr, "kiloml: emi eval: unknown option (see kiloml emi eval --help)\n"); return 2;
        }
        if (bad) return 2;
    }
    if (optind != argc - 1) {
        fprintf(stderr, "kiloml: emi eval: expected one MODEL.kml argument (see kiloml emi eval --help)\n");
        return 2;
    }
    if (!dopts.path) {
        fprintf(stderr, "kiloml: emi eval: --data FILE is required\n");
        return 2;
    }
    const char *path = argv[optind];
    kml_emi_file_attrs a;
    kml_model m;
    if (kml_emi_file_read(path, &a, &err) != 0 || kml_model_file_read(path, &m, NULL, &err) != 0) {
        fprintf(stderr, "kiloml: %s\n", err.msg);
        return 1;
    }
    if (k == 0) k = a.k;
    const int stored_q = kml_qmodel_file_has(path) == 1; /* a .q.kml: its own integer model */
    if (stored_q && bits_set) {
        fprintf(stderr, "kiloml: %s is already quantized (its stored integer model is evaluated): --bits does not "
                        "apply\n", path);
        kml_model_free(&m);
        return 2;
    }
    kml_data data;
    if (kml_data_load(&dopts, &data, &err) != 0) {
        fprintf(stderr, "kiloml: %s\n", err.msg);
        kml_model_free(&m);
        return 1;
    }
    int rc = 1;
    kml_bags b = {0};
    kml_dataset dropped = {0};
    kml_emi_result qres[2];
    kml_qmodel qm;
    int have_q = 0;
    enum { NS = 9 };
    if (val_groups && split_test_groups(&data, val_groups, &dropped, &err) != 0) {
        fprintf(stderr, "kiloml: %s\n", err.msg);
        goto done;
    }
    float p[NS + 1] = {(float)thr, 0.5f, 0.7f, 0.8f, 0.9f, 0.95f, 0.99f, 0.999f, 0.9999f, 2.0f};
    kml_emi_result res[NS + 1];
    if (data.test.F != m.cfg.D) {
        fprintf(stderr, "kiloml: %s has %d features per step; the model expects %d\n", dopts.path, data.test.F,
                m.cfg.D);
        goto done;
    }
    if (data.C > m.cfg.C) {
        fprintf(stderr, "kiloml: %s has %d classes; the model knows %d\n", dopts.path, data.C, m.cfg.C);
        goto done;
    }
    if (integer || stored_q) {
        float qp[2] = {(float)thr, 2.0f};
        int qrc;
        if (stored_q) {
            qrc = kml_qmodel_read(path, &qm, &err);
        } else {
            kml_quant_opts qo;
            kml_quant_opts_init(&qo);
            qo.bits = bits;
            kml_quant_report qrep;
            qrc = kml_quantize(&m, &data.train, &qo, &qm, &qrep, &err);
        }
        if (qrc != 0) {
            fprintf(stderr, "kiloml: %s\n", err.msg);
            goto done;
        }
        have_q = 1;
        if (stored_q) {
            bits = 8;
            for (int s = 0; s < KML_QS_COUNT; s++)
                if (qm.fmt.bits[s] > bits) bits = qm.fmt.bits[s];
        }
        if (kml_emi_qevaluate(&qm, &data.test, a.window, a.stride, k, a.negative, qp, 2, qres, &err) != 0) {
            fprintf(stderr, "kiloml: %s\n", err.msg);
            goto done;
        }
    }
    if (m.norm.mean) {
        if (m.norm.mode == KML_NORM_PER_STEP && m.norm.T != data.test.T) {
            fprintf(stderr, "kiloml: the model normalises per step over %d steps; %s has %d\n", m.norm.T,
                    dopts.path, data.test.T);
            goto done;
        }
        kml_norm_apply(&m.norm, &data.test);
    }
    if (kml_bags_make(&data.test, a.window, a.stride, &b, &err) != 0 ||
        kml_emi_evaluate(&m, &b, p, NS + 1, k, a.negative, res, NULL, NULL, &err) != 0) {
        fprintf(stderr, "kiloml: %s\n", err.msg);
        goto done;
    }
    char nb[16];
    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "model", path);
        if (thr > 1) cJSON_AddNullToObject(o, "threshold"); /* off */
        else cJSON_AddNumberToObject(o, "threshold", thr);
        cJSON_AddNumberToObject(o, "k", k);
        cJSON_AddStringToObject(o, "negative_class", neg_name(a.negative, nb, sizeof nb));
        cJSON_AddNumberToObject(o, "bags", b.n_bags);
        cJSON_AddNumberToObject(o, "instances_per_bag", b.n_inst);
        cJSON_AddNumberToObject(o, "accuracy", res[0].accuracy);
        cJSON_AddNumberToObject(o, "mi_savings", res[0].savings.mi);
        cJSON_AddNumberToObject(o, "early_savings", res[0].savings.early);
        cJSON_AddNumberToObject(o, "total_savings", res[0].savings.total);
        kml_report_model_json(o, &m); /* params, model_bytes, ... as `emi train --json` */
        cJSON *sw = cJSON_AddArrayToObject(o, "sweep");
        for (int i = 1; i <= NS; i++) {
            cJSON *e = cJSON_CreateObject();
            if (p[i] > 1.0f) cJSON_AddNullToObject(e, "threshold");
            else cJSON_AddNumberToObject(e, "threshold", p[i]);
            cJSON_AddNumberToObject(e, "accuracy", res[i].accuracy);
            cJSON_AddNumberToObject(e, "steps_fraction", 1.0 - res[i].savings.early);
            cJSON_AddNumberToObject(e, "total_savings", res[i].savings.total);
            cJSON_AddItemToArray(sw, e);
        }
        if (have_q) {
            cJSON *q = cJSON_AddObjectToObject(o, "integer");
            cJSON_AddNumberToObject(q, "bits", bits);
            cJSON_AddStringToObject(q, "source", stored_q ? "file" : "quantized");
            cJSON_AddNumberToObject(q, "accuracy", qres[0].accuracy);
            cJSON_AddNumberToObject(q, "early_savings", qres[0].savings.early);
            cJSON_AddNumberToObject(q, "total_savings", qres[0].savings.total);
            cJSON_AddNumberToObject(q, "accuracy_no_early_exit", qres[1].accuracy);
        }
        char *s = cJSON_Print(o);
        printf("%s\n", s);
        free(s);
        cJSON_Delete(o);
    } else {
        printf("EMI-RNN %s on %s: %d test bags x %d instances (window %d, stride %d of T = %d), k %d, negative %s\n",
               path, dopts.path, b.n_bags, b.n_inst, a.window, a.stride, b.T, k, neg_name(a.negative, nb, sizeof nb));
        char tb[24];
        if (thr > 1) snprintf(tb, sizeof tb, "off");
        else snprintf(tb, sizeof tb, "%.4g", thr);
        printf("threshold %s: accuracy %.2f %%  MI savings %.2f %%  early savings %.2f %%  total computation "
               "saved %.2f %%\n\n",
               tb, 100 * res[0].accuracy, 100 * res[0].savings.mi, 100 * res[0].savings.early,
               100 * res[0].savings.total);
        if (have_q)
            printf("integer model (%s, %d-bit weights, the device's stream): accuracy %.2f %% at %.4g with %.2f %% "
                   "early savings (%.2f %% total); %.2f %% without early exit\n\n",
                   stored_q ? "stored in the file" : "quantized here", bits, 100 * qres[0].accuracy, thr, 100 * qres[0].savings.early, 100 * qres[0].savings.total,
                   100 * qres[1].accuracy);
        printf("  threshold  accuracy  steps run  total saved\n");
        for (int i = 1; i <= NS; i++) {
            char t[16];
            if (p[i] > 1.0f) snprintf(t, sizeof t, "%s", "off");
            else snprintf(t, sizeof t, "%.4g", p[i]);
            printf("  %9s  %7.2f %%  %7.2f %%  %9.2f %%\n", t, 100 * res[i].accuracy,
                   100 * (1.0 - res[i].savings.early), 100 * res[i].savings.total);
        }
    }
    rc = 0;
done:
    if (have_q) kml_qmodel_free(&qm);
    kml_dataset_free(&dropped);
    kml_bags_free(&b);
    kml_data_free(&data);
    kml_model_free(&m);
    return rc;
}

int kml_cmd_emi(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs("usage: kiloml emi train ...   EMI-RNN training (kiloml emi train --help)\n"
              "       kiloml emi eval ...    bag accuracy, early exit and savings (kiloml emi eval --help)\n",
              argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "train")) return emi_train(argc - 1, argv + 1);
    if (!strcmp(argv[1], "eval")) return emi_eval(argc - 1, argv + 1);
    fprintf(stderr, "kiloml: emi: unknown subcommand '%s' (train or eval)\n", argv[1]);
    return 2;
}
