/* cli/cmd_train.c: `kiloml train`: parse options, load data, train, write the .kml (with a
 * checkpoint after every epoch), print the model summary (or one JSON object with --json). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "commands.h"
#include "data_args.h"
#include "num_args.h"
#include "kiloml/model_file.h"
#include "kiloml/trainer.h"
#include "model_report.h"
#include "kiloml/qmodel_file.h"
#include "train_qat.h"

static const char usage[] =
    "usage: kiloml train --data FILE [data options] [model and training options] -o MODEL.kml [--json]\n\n"
    "model options:\n"
    "  --cell NAME           fastgrnn (default), fastrnn, rnn, gru, lstm\n"
    "  --hidden H            hidden units (default 32)\n"
    "  --rank-w R            low-rank W = W1 W2 with rank R (default 0 = full)\n"
    "  --rank-u R            low-rank U = U1 U2 with rank R (default 0 = full)\n"
    "  --gate-nonlin N       sigmoid (default), tanh, relu, quantsigm, hardsigm, quanttanh\n"
    "  --update-nonlin N     tanh (default), sigmoid, relu, quanttanh, quantsigm, hardsigm\n"
    "  --density-w S         fraction of W entries kept by IHT (default 1 = dense)\n"
    "  --density-u S         fraction of U entries kept by IHT (default 1 = dense)\n"
    "training options:\n"
    "  --epochs E            epochs (default 300; lr x0.1 after 2/3 of them)\n"
    "  --batch B             minibatch size (default 100)\n"
    "  --lr X                learning rate (default 0.01)\n"
    "  --optimizer NAME      adam (default) or nesterov (SGD, momentum 0.9)\n"
    "  --clip X              clip the gradient norm to X (default 5; 0 = off)\n"
    "  --bptt-clip X         bound each series' gradient w.r.t. the hidden state to norm X as BPTT\n"
    "                        carries it back through time (default 0 = exact gradient; steadies\n"
    "                        training where the recurrence's gradient explodes)\n"
    "  --teacher MODEL.kml   knowledge distillation: also fit the soft outputs of this trained model (any\n"
    "                        cell, same data); loss = (1 - A) * cross-entropy + A * T^2 * KL(teacher || model)\n"
    "                        at temperature T, the teacher's logits taken once on the training split\n"
    "  --init-from MODEL.kml start from this trained model (same cell, H, data) instead of the seeded\n"
    "                        initialisation: a low-rank W or U gets the factors of the source matrix's best\n"
    "                        rank-r approximation (SVD); biases, scalars, classifier and the input\n"
    "                        normalisation are copied. The density schedule then runs as usual\n"
    "  --distill A           the soft term's weight in [0, 1] (default 0.5 with --teacher)\n"
    "  --temperature T       softmax temperature of the soft term (default 2)\n"
    "  --input-gain S        scale each training series' normalised feature by 1 + N(0, S^2), one draw per\n"
    "                        series and feature for all its steps (a regulariser against new subjects'\n"
    "                        sensor gains and placements; default 0 = off)\n"
    "  --input-offset S      shift it likewise by N(0, S^2) (default 0 = off)\n"
    "  --input-noise S       add N(0, S^2) noise to the normalised inputs of every training minibatch\n"
    "                        (a regulariser against new subjects / speakers; default 0 = off)\n"
    "  --lr-decay-epoch E    epoch (0-based) from which lr is x0.1 (default 2/3 of --epochs; 0 = never)\n"
    "  --weight-decay X      decoupled weight decay of W, U, V: each step w -= lr * X * w (default 0 = off)\n"
    "  --val-frac F          validation fraction of the training data (default 0.1; by group with --group)\n"
    "  --seed S              seed of initialisation, validation split and minibatch order (default 0)\n"
    "  --threads N           OpenBLAS threads (default: OpenBLAS's choice)\n"
    "  --norm MODE           per-feature (default), per-step or none\n"
    "  -o, --output FILE     the model file (.kml), written after every epoch with the best model so far\n"
    "  --log FILE            CSV of the curves (default: MODEL.csv next to the model)\n"
    "  --log-test            also log each epoch's test accuracy in the CSV (monitoring only: the\n"
    "                        model is still chosen on validation)\n"
    "  --json                one JSON object on stdout (accuracy, n, params, model_bytes, ...)\n"
    "  --quiet               no progress on stderr\n"
    "  --resume              continue a stopped run from MODEL.kml.state (written after every epoch,\n"
    "                        removed when the run completes); give the same data and options again\n"
    "  --stop-after-epoch N  stop after epoch N of the schedule (lr decay, IHT and QAT phases stay those\n"
    "                        of --epochs), keeping MODEL.kml.state: --resume continues the run. For\n"
    "                        time-sliced runs, and for checking a long recipe's first epochs against a\n"
    "                        recorded run's log (bench/paper --quick)\n"
    KML_QAT_HELP "\n" KML_DATA_HELP;

enum {
    O_CELL = 1, O_HIDDEN, O_RANK_W, O_RANK_U, O_GATE, O_UPDATE, O_DW, O_DU, O_EPOCHS, O_BATCH, O_LR, O_OPT,
    O_CLIP, O_DECAY, O_WD, O_VAL, O_SEED, O_THREADS, O_NORM, O_LOG, O_JSON, O_QUIET, O_RESUME, O_HELP,
    O_QAT, O_QAT_EPOCHS, O_QAT_BITS, O_SPFMT, O_LOG_TEST, O_QAT_PWL, O_BPTT_CLIP, O_INPUT_NOISE, O_TEACHER, O_DISTILL, O_TEMP, O_INIT_FROM, O_INPUT_GAIN, O_INPUT_OFFSET, O_STOP_AFTER
};

static int parse_double(const char *name, const char *arg, double lo, double hi, int lo_open, double *out,
                        kml_error *err)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(arg, &end);
    if (!arg[0] || *end || errno || !(lo_open ? v > lo : v >= lo) || !(v <= hi))
        return kml_error_set(err, "--%s: expected a number in %s%g, %g], got '%s'", name, lo_open ? "(" : "[", lo, hi,
                             arg);
    *out = v;
    return 0;
}

typedef struct { const char *path; int quiet; } ckpt_ctx;

static int write_checkpoint(const kml_model *best, const kml_train_summary *s, void *ctx, kml_error *err)
{
    ckpt_ctx *c = ctx;
    return kml_model_file_write(c->path, best, s, NULL, NULL, err);
}

int kml_cmd_train(int argc, char **argv)
{
    static const struct option longopts[] = {
        KML_DATA_LONG_OPTIONS
        {"cell", required_argument, NULL, O_CELL},
        {"hidden", required_argument, NULL, O_HIDDEN},
        {"rank-w", required_argument, NULL, O_RANK_W},
        {"rank-u", required_argument, NULL, O_RANK_U},
        {"gate-nonlin", required_argument, NULL, O_GATE},
        {"update-nonlin", required_argument, NULL, O_UPDATE},
        {"density-w", required_argument, NULL, O_DW},
        {"density-u", required_argument, NULL, O_DU},
        {"epochs", required_argument, NULL, O_EPOCHS},
        {"batch", required_argument, NULL, O_BATCH},
        {"lr", required_argument, NULL, O_LR},
        {"optimizer", required_argument, NULL, O_OPT},
        {"clip", required_argument, NULL, O_CLIP},
        {"bptt-clip", required_argument, NULL, O_BPTT_CLIP},
        {"input-noise", required_argument, NULL, O_INPUT_NOISE},
        {"input-gain", required_argument, NULL, O_INPUT_GAIN},
        {"input-offset", required_argument, NULL, O_INPUT_OFFSET},
        {"teacher", required_argument, NULL, O_TEACHER},
        {"init-from", required_argument, NULL, O_INIT_FROM},
        {"distill", required_argument, NULL, O_DISTILL},
        {"temperature", required_argument, NULL, O_TEMP},
        {"lr-decay-epoch", required_argument, NULL, O_DECAY},
        {"weight-decay", required_argument, NULL, O_WD},
        {"val-frac", required_argument, NULL, O_VAL},
        {"seed", required_argument, NULL, O_SEED},
        {"threads", required_argument, NULL, O_THREADS},
        {"norm", required_argument, NULL, O_NORM},
        {"output", required_argument, NULL, 'o'},
        {"log", required_argument, NULL, O_LOG},
        {"log-test", no_argument, NULL, O_LOG_TEST},
        {"json", no_argument, NULL, O_JSON},
        {"quiet", no_argument, NULL, O_QUIET},
        {"resume", no_argument, NULL, O_RESUME},
        {"stop-after-epoch", required_argument, NULL, O_STOP_AFTER},
        {"help", no_argument, NULL, O_HELP},
        {"qat", no_argument, NULL, O_QAT},
        {"qat-epochs", required_argument, NULL, O_QAT_EPOCHS},
        {"qat-bits", required_argument, NULL, O_QAT_BITS},
        {"sparse-format", required_argument, NULL, O_SPFMT},
        {"qat-pwl", required_argument, NULL, O_QAT_PWL},
        {NULL, 0, NULL, 0}};
    kml_data_opts dopt;
    kml_data_opts_init(&dopt);
    kml_train_config tc;
    kml_train_config_init(&tc);
    tc.progress = 1;
    kml_cli_qat qat;
    kml_cli_qat_init(&qat);
    const char *out_path = NULL, *log_path = NULL, *teacher_path = NULL, *init_path = NULL;
    int json = 0, lr_set = 0, spfmt_set = 0, distill_set = 0;
    kml_error err = {{0}};
    long v = 0;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:", longopts, NULL)) != -1) {
        int r = kml_data_arg(c, optarg, &dopt, &err);
        if (r < 0) goto bad;
        if (r > 0) continue;
        switch (c) {
        case O_CELL:
            if (kml_cell_parse(optarg, &tc.model.cell)) {
                kml_error_set(&err, "--cell: expected fastgrnn, fastrnn, rnn, gru or lstm, got '%s'", optarg);
                goto bad;
            }
            break;
        case O_HIDDEN: if (kml_arg_long("hidden", optarg, 1, 4096, &v, &err)) goto bad; tc.model.H = (int)v; break;
        case O_RANK_W: if (kml_arg_long("rank-w", optarg, 0, 4096, &v, &err)) goto bad; tc.model.rank_w = (int)v; break;
        case O_RANK_U: if (kml_arg_long("rank-u", optarg, 0, 4096, &v, &err)) goto bad; tc.model.rank_u = (int)v; break;
        case O_GATE:
        case O_UPDATE:
            if (kml_nonlin_parse(optarg, c == O_GATE ? &tc.model.gate_nl : &tc.model.update_nl)) {
                kml_error_set(&err, "--%s: expected tanh, sigmoid, relu, quanttanh, quantsigm or hardsigm, got '%s'",
                              c == O_GATE ? "gate-nonlin" : "update-nonlin", optarg);
                goto bad;
            }
            break;
        case O_DW: if (parse_double("density-w", optarg, 0, 1, 1, &tc.density_w, &err)) goto bad; break;
        case O_DU: if (parse_double("density-u", optarg, 0, 1, 1, &tc.density_u, &err)) goto bad; break;
        case O_EPOCHS: if (kml_arg_long("epochs", optarg, 1, 1000000, &v, &err)) goto bad; tc.epochs = (int)v; break;
        case O_BATCH: if (kml_arg_long("batch", optarg, 1, 1000000, &v, &err)) goto bad; tc.batch = (int)v; break;
        case O_LR: if (parse_double("lr", optarg, 0, 100, 1, &tc.optim.lr, &err)) goto bad; lr_set = 1; break;
        case O_OPT:
            if (kml_optim_parse(optarg, &tc.optim.kind)) {
                kml_error_set(&err, "--optimizer: expected adam or nesterov, got '%s'", optarg);
                goto bad;
            }
            break;
        case O_CLIP: if (parse_double("clip", optarg, 0, 1e30, 0, &tc.optim.clip, &err)) goto bad; break;
        case O_BPTT_CLIP: if (parse_double("bptt-clip", optarg, 0, 1e30, 0, &tc.bptt_clip, &err)) goto bad; break;
        case O_INPUT_NOISE: if (parse_double("input-noise", optarg, 0, 100, 0, &tc.input_noise, &err)) goto bad; break;
        case O_INPUT_GAIN: if (parse_double("input-gain", optarg, 0, 10, 0, &tc.input_gain, &err)) goto bad; break;
        case O_INPUT_OFFSET: if (parse_double("input-offset", optarg, 0, 100, 0, &tc.input_offset, &err)) goto bad; break;
        case O_TEACHER: teacher_path = optarg; break;
        case O_INIT_FROM: init_path = optarg; break;
        case O_DISTILL: if (parse_double("distill", optarg, 0, 1, 1, &tc.distill, &err)) goto bad; distill_set = 1; break;
        case O_TEMP: if (parse_double("temperature", optarg, 0, 1000, 0, &tc.distill_temp, &err)) goto bad; break;
        case O_DECAY:
            if (kml_arg_long("lr-decay-epoch", optarg, 0, 1000000, &v, &err)) goto bad;
            tc.optim.decay_epoch = (int)v;
            break;
        case O_WD: if (parse_double("weight-decay", optarg, 0, 1, 0, &tc.optim.weight_decay, &err)) goto bad; break;
        case O_VAL: if (parse_double("val-frac", optarg, 0, 0.9, 0, &tc.val_frac, &err)) goto bad; break;
        case O_SEED: {
            char *end = NULL;
            errno = 0;
            unsigned long long s = strtoull(optarg, &end, 10);
            if (!optarg[0] || *end || errno || optarg[0] == '-') {
                kml_error_set(&err, "--seed: expected a non-negative integer, got '%s'", optarg);
                goto bad;
            }
            tc.seed = s;
            break;
        }
        case O_THREADS: if (kml_arg_long("threads", optarg, 1, 256, &v, &err)) goto bad; tc.threads = (int)v; break;
        case O_NORM:
            if (!strcmp(optarg, "per-feature")) { tc.normalize = 1; tc.norm_mode = KML_NORM_PER_FEATURE; }
            else if (!strcmp(optarg, "per-step")) { tc.normalize = 1; tc.norm_mode = KML_NORM_PER_STEP; }
            else if (!strcmp(optarg, "none")) tc.normalize = 0;
            else { kml_error_set(&err, "--norm: expected per-feature, per-step or none, got '%s'", optarg); goto bad; }
            break;
        case 'o': out_path = optarg; break;
        case O_LOG: log_path = optarg; break;
        case O_LOG_TEST: tc.log_test = 1; break;
        case O_JSON: json = 1; break;
        case O_QUIET: tc.progress = 0; break;
        case O_RESUME: tc.resume = 1; break;
        case O_STOP_AFTER:
            if (kml_arg_long("stop-after-epoch", optarg, 1, 1000000, &v, &err)) goto bad;
            tc.stop_after = (int)v;
            break;
        case O_HELP: fputs(usage, stdout); return 0;
        case O_QAT: qat.on = 1; break;
        case O_QAT_PWL:
            if (!strcmp(optarg, "phase")) qat.pwl = KML_QAT_PWL_PHASE;
            else if (!strcmp(optarg, "all")) qat.pwl = KML_QAT_PWL_ALL;
            else if (!strcmp(optarg, "none")) qat.pwl = KML_QAT_PWL_NONE;
            else { kml_error_set(&err, "--qat-pwl: expected all, phase or none, got '%s'", optarg); goto bad; }
            break;
        case O_QAT_EPOCHS: if (kml_arg_long("qat-epochs", optarg, 1, 1000000, &v, &err)) goto bad; qat.epochs = (int)v; break;
        case O_QAT_BITS:
            if (kml_arg_long("qat-bits", optarg, 8, 16, &v, &err)) goto bad;
            if (v != 8 && v != 16) { kml_error_set(&err, "--qat-bits: 8 or 16, got %ld", v); goto bad; }
            qat.bits = (int)v;
            break;
        case O_SPFMT:
            if (kml_sparse_fmt_parse(optarg, &qat.sparse_fmt)) {
                kml_error_set(&err, "--sparse-format: auto, csc or bitmap, got '%s'", optarg);
                goto bad;
            }
            spfmt_set = 1;
            break;
        case ':': kml_error_set(&err, "%s: missing value", argv[optind - 1]); goto bad;
        default: kml_error_set(&err, "unknown option '%s' (kiloml train --help)", argv[optind - 1]); goto bad;
        }
    }
    if (optind < argc) { kml_error_set(&err, "unexpected argument '%s'", argv[optind]); goto bad; }
    if (!dopt.path) { kml_error_set(&err, "--data FILE is required (kiloml train --help)"); goto bad; }
    if (!out_path) { kml_error_set(&err, "-o MODEL.kml is required"); goto bad; }
    if (spfmt_set && !qat.on) { kml_error_set(&err, "--sparse-format applies to the integer model: use it with --qat"); goto bad; }
    if (distill_set && !teacher_path) { kml_error_set(&err, "--distill needs --teacher MODEL.kml"); goto bad; }
    if (teacher_path && !distill_set) tc.distill = 0.5;
    if (!lr_set && tc.model.cell == KML_CELL_RNN) tc.optim.lr = 1e-3;   /* SPEC §2: 1e-3 for plain RNN */
    tc.val_by_group = dopt.group_name != NULL || dopt.group_col >= 0;
    if (qat.on && kml_cli_qat_setup(&qat, &tc, &err)) goto bad;

    kml_data data;
    if (kml_data_load(&dopt, &data, &err)) {
        fprintf(stderr, "kiloml: %s\n", err.msg);
        return 1;
    }
    if (tc.progress) kml_data_report_split(&dopt, &data);
    kml_model teacher;
    memset(&teacher, 0, sizeof teacher);
    if (teacher_path) {
        if (kml_model_file_read(teacher_path, &teacher, NULL, &err)) {
            fprintf(stderr, "kiloml: --teacher: %s\n", err.msg);
            kml_data_free(&data);
            return 1;
        }
        tc.teacher = &teacher;
    }
    kml_model init;
    memset(&init, 0, sizeof init);
    if (init_path) {
        if (kml_model_file_read(init_path, &init, NULL, &err)) {
            fprintf(stderr, "kiloml: --init-from: %s\n", err.msg);
            kml_model_free(&teacher);
            kml_data_free(&data);
            return 1;
        }
        tc.init_from = &init;
    }

    /* the CSV log: default MODEL.csv next to the model */
    char *default_log = NULL;
    if (!log_path) {
        size_t n = strlen(out_path);
        default_log = malloc(n + 5);
        if (!default_log) { kml_model_free(&teacher); kml_model_free(&init); kml_data_free(&data); fprintf(stderr, "kiloml: out of memory\n"); return 1; }
        strcpy(default_log, out_path);
        if (n > 4 && !strcmp(out_path + n - 4, ".kml")) default_log[n - 4] = '\0';
        strcat(default_log, ".csv");
        log_path = default_log;
    }
    char *state_path = malloc(strlen(out_path) + 7);
    if (!state_path) { free(default_log); kml_model_free(&teacher); kml_model_free(&init); kml_data_free(&data); fprintf(stderr, "kiloml: out of memory\n"); return 1; }
    strcpy(state_path, out_path);
    strcat(state_path, ".state");
    FILE *log = fopen(log_path, tc.resume ? "a" : "w");
    if (!log) {
        fprintf(stderr, "kiloml: %s: cannot write the training log\n", log_path);
        kml_model_free(&teacher);
        kml_model_free(&init);
        free(default_log);
        free(state_path);
        kml_data_free(&data);
        return 1;
    }
    tc.state_path = state_path;
    tc.log = log;
    ckpt_ctx ck = {out_path, !tc.progress};
    tc.checkpoint = write_checkpoint;
    tc.checkpoint_ctx = &ck;

    kml_model m;
    kml_train_summary s;
    int rc = kml_train(&tc, &data, &m, &s, &err);
    kml_model_free(&teacher); /* its logits were taken at the start of the run */
    tc.teacher = NULL;
    kml_model_free(&init);
    tc.init_from = NULL;
    fclose(log);
    if (rc == 0 && qat.on && kml_cli_qat_finish(&qat, &m, &data, tc.progress, &err)) {
        kml_model_free(&m);
        rc = -1;
    }
    kml_data_free(&data);
    if (rc == KML_TRAIN_STOPPED) { /* --stop-after-epoch: no model yet, the state holds the run */
        if (json) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "stopped_after_epoch", tc.stop_after);
            cJSON_AddNumberToObject(o, "epochs", tc.epochs);
            cJSON_AddStringToObject(o, "state", state_path);
            cJSON_AddStringToObject(o, "log", log_path);
            kml_cli_json_print(o);
        } else {
            printf("stopped after epoch %d of %d: continue with the same command and --resume (state %s, log %s)\n",
                   tc.stop_after, tc.epochs, state_path, log_path);
        }
        kml_cli_qat_free(&qat);
        free(default_log);
        free(state_path);
        return 0;
    }
    if (rc == 0 && kml_model_file_write(out_path, &m, &s, qat.have_q ? kml_qmodel_file_extra : NULL,
                                        qat.have_q ? &qat.qm : NULL, &err)) {
        kml_model_free(&m);
        rc = -1;
    }
    if (rc) {
        fprintf(stderr, "kiloml: %s\n", err.msg);
        kml_cli_qat_free(&qat);
        if (tc.resume || access(state_path, F_OK) == 0)
            fprintf(stderr, "kiloml: the last finished epoch is kept in %s (continue with --resume)\n", state_path);
        free(default_log);
        free(state_path);
        return 1;
    }
    remove(state_path);
    free(state_path);
    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "accuracy", s.test_accuracy);
        cJSON_AddNumberToObject(o, "n", s.n_test);
        cJSON_AddNumberToObject(o, "val_accuracy", s.val_accuracy);
        cJSON_AddNumberToObject(o, "n_val", s.n_val);
        cJSON_AddNumberToObject(o, "n_fit", s.n_fit);
        cJSON_AddNumberToObject(o, "epochs", s.epochs);
        cJSON_AddNumberToObject(o, "best_epoch", s.best_epoch);
        cJSON_AddNumberToObject(o, "train_seconds", s.train_seconds);
        cJSON_AddNumberToObject(o, "samples_per_second", s.samples_per_second);
        cJSON_AddNumberToObject(o, "steps", (double)s.steps);
        cJSON_AddNumberToObject(o, "skipped_steps", (double)s.skipped_steps);
        cJSON_AddNumberToObject(o, "seed", (double)s.seed);
        kml_report_model_json(o, &m);
        kml_cli_qat_json(o, &qat, &m);
        cJSON_AddStringToObject(o, "model", out_path);
        cJSON_AddStringToObject(o, "log", log_path);
        kml_cli_json_print(o);
    } else {
        kml_report_model(stdout, &m);
        printf("trained %d epochs in %.1f s (%.0f samples/s); kept epoch %d\n", s.epochs, s.train_seconds,
               s.samples_per_second, s.best_epoch);
        if (s.skipped_steps) printf("skipped steps (non-finite loss or gradient): %ld\n", s.skipped_steps);
        if (s.val_accuracy >= 0) printf("validation accuracy: %.4f (%d series)\n", s.val_accuracy, s.n_val);
        if (s.test_accuracy >= 0) printf("test accuracy: %.4f (%d series)\n", s.test_accuracy, s.n_test);
        kml_cli_qat_print(stdout, &qat, &m);
        printf("wrote %s (log %s)\n", out_path, log_path);
    }
    kml_cli_qat_free(&qat);
    free(default_log);
    kml_model_free(&m);
    return 0;
bad:
    fprintf(stderr, "kiloml: %s\n", err.msg);
    return 2;
}
