/* test_emi_cli.c: `kiloml emi train|eval` end to end on CSV files written here: the required
 * --negative-class, the JSON of both commands (accuracy and the three savings), the sweep table,
 * and clear errors for a missing or non-EMI model. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kiloml/rng.h"

#define DIR KML_BINARY_DIR "/tests/emi_cli_tmp"
#define KILOML KML_BINARY_DIR "/cli/kiloml"

enum { T = 40, F = 2 };

static void write_csv(const char *path, int n, uint64_t seed)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    kml_rng r;
    kml_rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        int y = i % 3, s = (int)kml_rng_below(&r, 21);
        fprintf(f, "%d,%d", y, i % 4); /* label, group (subject) */
        for (int t = 0; t < T; t++)
            for (int c = 0; c < F; c++) {
                double v = 0.4 * kml_rng_normal(&r);
                if (y > 0 && c == y - 1 && t >= s && t < s + 20) v += 1.2;
                fprintf(f, ",%.5f", v);
            }
        fprintf(f, "\n");
    }
    fclose(f);
}

/* run a shell command; returns its exit status; stdout into DIR/out.txt, stderr DIR/err.txt */
static int run(const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s %s > %s/out.txt 2> %s/err.txt", KILOML, args, DIR, DIR);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *slurp(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", DIR, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    assert_non_null(v);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

static int setup(void **state)
{
    (void)state;
    mkdir(DIR, 0755);
    write_csv(DIR "/train.csv", 240, 1);
    write_csv(DIR "/test.csv", 120, 2);
    return 0;
}

#define DATA "--data " DIR "/train.csv --test-data " DIR "/test.csv --timesteps 40 --group-col 1"

static void negative_class_required(void **state)
{
    (void)state;
    assert_int_equal(run("emi train " DATA " --window 10 --stride 5 -o " DIR "/m.kml"), 2);
    assert_non_null(strstr(slurp("err.txt"), "--negative-class is required"));
    assert_int_equal(run("emi train " DATA " --window 10 --stride 5 --negative-class walking -o " DIR "/m.kml"), 2);
    assert_non_null(strstr(slurp("err.txt"), "--negative-class"));
    assert_int_equal(run("emi train " DATA " --stride 5 --negative-class 0 -o " DIR "/m.kml"), 2);
    assert_non_null(strstr(slurp("err.txt"), "--window"));
}

static void train_then_eval(void **state)
{
    (void)state;
    remove(DIR "/m.kml");
    assert_int_equal(run("emi train " DATA " --window 10 --stride 5 --negative-class 0 --k 2 --rounds 2 "
                         "--epochs 5 --hidden 8 --batch 50 --threads 1 --quiet --json -o " DIR "/m.kml"),
                     0);
    cJSON *o = cJSON_Parse(slurp("out.txt"));
    assert_non_null(o);
    assert_true(num(o, "test_bag_accuracy") >= 0.85);
    assert_true(num(o, "val_bag_accuracy") >= 0.0);
    /* the model's size as `train --json` reports it: float bytes = 4 per parameter (dense), the paper's count */
    assert_true(num(o, "params") > 0);
    assert_true(num(o, "model_bytes") >= 4 * num(o, "params"));
    assert_true(num(o, "paper_bytes") > 0);
    assert_int_equal((int)num(o, "window"), 10);
    /* per-round diagnostics: the last round's kept checkpoint is the model's */
    const cJSON *rv = cJSON_GetObjectItemCaseSensitive(o, "round_val_bag_accuracy"),
                *rt = cJSON_GetObjectItemCaseSensitive(o, "round_test_bag_accuracy"),
                *ra = cJSON_GetObjectItemCaseSensitive(o, "round_active_instances");
    assert_true(cJSON_GetArraySize(rv) == 2 && cJSON_GetArraySize(rt) == 2 && cJSON_GetArraySize(ra) == 2);
    assert_true(cJSON_GetArrayItem(rv, 1)->valuedouble == num(o, "val_bag_accuracy"));
    assert_true(cJSON_GetArrayItem(rt, 1)->valuedouble == num(o, "test_bag_accuracy"));
    int a0 = cJSON_GetArrayItem(ra, 0)->valueint; /* round 1: every instance of the fit bags (90 % of 240) */
    assert_true(a0 % 7 == 0 && a0 >= 200 * 7 && a0 < 240 * 7);
    cJSON_Delete(o);

    assert_int_equal(run("emi eval " DIR "/m.kml " DATA " --threshold 0.9 --json"), 0);
    o = cJSON_Parse(slurp("out.txt"));
    assert_non_null(o);
    double acc = num(o, "accuracy"), mi = num(o, "mi_savings"), early = num(o, "early_savings"),
           total = num(o, "total_savings");
    assert_true(acc >= 0.85);
    assert_true(fabs(mi - 0.75) < 1e-9);
    assert_true(early > 0.0 && early < 1.0);
    assert_true(fabs(total - (1 - (1 - mi) * (1 - early))) < 1e-9);
    assert_int_equal((int)num(o, "k"), 2); /* from the model file */
    assert_true(num(o, "model_bytes") >= 4 * num(o, "params") && num(o, "params") > 0); /* as emi train reports */
    const cJSON *sw = cJSON_GetObjectItemCaseSensitive(o, "sweep");
    assert_true(cJSON_IsArray(sw) && cJSON_GetArraySize(sw) >= 5);
    /* a lower threshold never runs more steps */
    double prev = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, sw)
    {
        double frac = num(e, "steps_fraction");
        assert_true(frac >= prev - 1e-12);
        prev = frac;
    }
    assert_true(fabs(prev - 1.0) < 1e-12); /* the last row is "off": every step */
    cJSON_Delete(o);

    /* --threshold off: no early exit at all (1 can still exit where the softmax rounds to 1) */
    assert_int_equal(run("emi eval " DIR "/m.kml " DATA " --threshold off --json"), 0);
    o = cJSON_Parse(slurp("out.txt"));
    assert_non_null(o);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, "threshold")));
    assert_true(num(o, "early_savings") == 0.0);
    assert_true(fabs(num(o, "total_savings") - num(o, "mi_savings")) < 1e-12);
    cJSON_Delete(o);
    assert_int_equal(run("emi eval " DIR "/m.kml " DATA " --threshold offf"), 2);

    assert_int_equal(run("emi eval " DIR "/m.kml " DATA " --k 3"), 0);
    const char *txt = slurp("out.txt");
    assert_non_null(strstr(txt, "MI savings 75.00 %"));
    assert_non_null(strstr(txt, "threshold  accuracy  steps run"));
    assert_non_null(strstr(txt, "k 3"));
}

/* --stop-after-round: the JSON says where the run stopped and its round arrays are the whole run's
 * first entries */
static void stop_after_round(void **state)
{
    (void)state;
    const char *args = "emi train " DATA " --window 10 --stride 5 --negative-class 0 --rounds 3 --epochs 2 "
                       "--hidden 4 --batch 50 --threads 1 --quiet --json -o " DIR "/r.kml";
    char cmd[512];
    assert_int_equal(run(args), 0);
    cJSON *full = cJSON_Parse(slurp("out.txt"));
    assert_non_null(full);
    assert_null(cJSON_GetObjectItemCaseSensitive(full, "stopped_after_round"));
    snprintf(cmd, sizeof cmd, "%s --stop-after-round 2", args);
    assert_int_equal(run(cmd), 0);
    cJSON *part = cJSON_Parse(slurp("out.txt"));
    assert_non_null(part);
    assert_int_equal((int)num(part, "stopped_after_round"), 2);
    assert_int_equal((int)num(part, "rounds"), 3);
    const char *arrays[] = {"round_val_bag_accuracy", "round_test_bag_accuracy", "round_active_instances"};
    for (int k = 0; k < 3; k++) {
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(full, arrays[k]),
                    *p = cJSON_GetObjectItemCaseSensitive(part, arrays[k]);
        assert_int_equal(cJSON_GetArraySize(f), 3);
        assert_int_equal(cJSON_GetArraySize(p), 2);
        for (int i = 0; i < 2; i++)
            assert_true(cJSON_GetArrayItem(f, i)->valuedouble == cJSON_GetArrayItem(p, i)->valuedouble);
    }
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(part, "relabelled_bags")), 1);
    cJSON_Delete(full);
    cJSON_Delete(part);
    snprintf(cmd, sizeof cmd, "%s --stop-after-round 0", args);
    assert_int_equal(run(cmd), 2);
    assert_non_null(strstr(slurp("err.txt"), "--stop-after-round"));
}

/* validation from the test file's groups (DSA-19's 4-2-2 split): train and eval leave group 3
 * out of the test set alike */
static void validation_groups(void **state)
{
    (void)state;
    assert_int_equal(run("emi train " DATA " --window 10 --stride 5 --negative-class none --rounds 1 --epochs 2 "
                         "--hidden 4 --threads 1 --quiet --val-groups 3 -o " DIR "/g.kml"),
                     0);
    assert_int_equal(run("emi eval " DIR "/g.kml " DATA " --val-groups 3 --json"), 0);
    cJSON *o = cJSON_Parse(slurp("out.txt"));
    assert_non_null(o);
    assert_int_equal((int)num(o, "bags"), 90); /* 120 test series, a quarter in group 3 */
    cJSON_Delete(o);
    assert_int_equal(run("emi eval " DIR "/g.kml " DATA " --json"), 0);
    o = cJSON_Parse(slurp("out.txt"));
    assert_int_equal((int)num(o, "bags"), 120);
    cJSON_Delete(o);
    assert_int_equal(run("emi eval " DIR "/g.kml " DATA " --val-groups 9"), 1);
    assert_non_null(strstr(slurp("err.txt"), "no test series"));
}

/* --integer: the model quantized and streamed through the device's integer EMI code; trained with
 * the piecewise-linear nonlinearities the integer path uses, it keeps the float model's accuracy */
static void integer_path(void **state)
{
    (void)state;
    assert_int_equal(run("emi train " DATA " --window 10 --stride 5 --negative-class 0 --rounds 2 --epochs 5 "
                         "--hidden 8 --batch 50 --gate-nonlin quantsigm --update-nonlin quanttanh --threads 1 "
                         "--quiet -o " DIR "/q.kml"),
                     0);
    assert_int_equal(run("emi eval " DIR "/q.kml " DATA " --threshold 0.9 --integer --json"), 0);
    cJSON *o = cJSON_Parse(slurp("out.txt"));
    assert_non_null(o);
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(o, "integer");
    assert_non_null(q);
    double fa = num(o, "accuracy"), qa = num(q, "accuracy"), qe = num(q, "early_savings");
    print_message("  float %.3f, integer %.3f (early savings %.3f vs %.3f)\n", fa, qa, qe, num(o, "early_savings"));
    assert_true(fa >= 0.85);
    assert_true(qa >= fa - 0.05);
    assert_true(qe > 0.0 && qe < 1.0);
    assert_int_equal((int)num(q, "bits"), 16);
    cJSON_Delete(o);
    assert_int_equal(run("emi eval " DIR "/q.kml " DATA " --integer --bits 12"), 2);
}

static double integer_field(const char *key, const char *src)
{
    cJSON *o = cJSON_Parse(slurp("out.txt"));
    assert_non_null(o);
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(o, "integer");
    assert_non_null(q);
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(q, "source");
    assert_true(cJSON_IsString(s));
    assert_string_equal(s->valuestring, src);
    double v = num(q, key);
    cJSON_Delete(o);
    return v;
}

/* `kiloml quantize` of an EMI model keeps /emi: `kiloml emi eval` of the .q.kml streams the stored
 * integer model (no --integer, no quantizing on the fly) with the model's window and k, and gives
 * exactly what quantizing on the fly with the same procedure gives */
static void quantized_file_keeps_emi(void **state)
{
    (void)state;
    assert_int_equal(run("emi train " DATA " --window 10 --stride 5 --negative-class 0 --k 3 --rounds 2 --epochs 5 "
                         "--hidden 8 --batch 50 --gate-nonlin quantsigm --update-nonlin quanttanh --threads 1 "
                         "--quiet -o " DIR "/e.kml"),
                     0);
    assert_int_equal(run("quantize " DIR "/e.kml --calib " DIR "/train.csv --timesteps 40 --group-col 1 --bits 8 "
                         "--quiet -o " DIR "/e.q.kml"),
                     0);
    assert_int_equal(run("emi eval " DIR "/e.q.kml " DATA " --threshold 0.9 --json"), 0);
    double acc = integer_field("accuracy", "file"), early = integer_field("early_savings", "file");
    double off = integer_field("accuracy_no_early_exit", "file");
    assert_int_equal((int)integer_field("bits", "file"), 8);
    cJSON *o = cJSON_Parse(slurp("out.txt"));
    assert_int_equal((int)num(o, "k"), 3);                        /* from the quantized file's /emi */
    assert_true(fabs(num(o, "mi_savings") - 0.75) < 1e-9);      /* window 10 of 40 */
    assert_int_equal((int)num(o, "instances_per_bag"), 7);       /* stride 5 */
    cJSON_Delete(o);
    assert_int_equal(run("emi eval " DIR "/e.kml " DATA " --threshold 0.9 --integer --bits 8 --json"), 0);
    assert_true(acc == integer_field("accuracy", "quantized"));
    assert_true(early == integer_field("early_savings", "quantized"));
    assert_true(off == integer_field("accuracy_no_early_exit", "quantized"));
    assert_true(early > 0.0);
    /* the stored model's widths are fixed: --bits is refused, naming why */
    assert_int_equal(run("emi eval " DIR "/e.q.kml " DATA " --bits 16"), 2);
    assert_non_null(strstr(slurp("err.txt"), "already quantized"));
    /* the text report says where the integer model came from */
    assert_int_equal(run("emi eval " DIR "/e.q.kml " DATA), 0);
    assert_non_null(strstr(slurp("out.txt"), "stored in the file"));
}

/* `kiloml export` of an EMI model (float or its .q.kml) writes the EMI settings as defines
 * (emi_main.c and the device tests build from them); the threshold as Q15; a model without /emi
 * gets no EMI block, and --emi-threshold is refused for it */
static void export_writes_emi_defines(void **state)
{
    (void)state;
    assert_int_equal(run("emi train " DATA " --window 10 --stride 5 --negative-class 0 --k 3 --rounds 1 --epochs 2 "
                         "--hidden 4 --gate-nonlin quantsigm --update-nonlin quanttanh --threads 1 --quiet -o " DIR
                         "/x.kml"),
                     0);
    assert_int_equal(run("quantize " DIR "/x.kml --calib " DIR "/train.csv --timesteps 40 --group-col 1 --quiet -o " DIR
                         "/x.q.kml"),
                     0);
    assert_int_equal(run("export " DIR "/x.q.kml -o " DIR "/xq.h --name XQ --emi-threshold 0.9"), 0);
    const char *h = slurp("xq.h");
    const char *want[] = {"#define XQ_IS_INTEGER 1\n", "#define XQ_EMI_T 40\n",     "#define XQ_EMI_WINDOW 10\n",
                          "#define XQ_EMI_STRIDE 5\n", "#define XQ_EMI_N_INST 7\n", "#define XQ_EMI_K 3\n",
                          "#define XQ_EMI_NEGATIVE (0)\n", "#define XQ_EMI_P_Q15 29491u\n"}; /* round(0.9 * 32768) */
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        if (!strstr(h, want[i])) print_message("missing: %s", want[i]);
        assert_non_null(strstr(h, want[i]));
    }
    /* the float model of the same file, default threshold 0.99 */
    assert_int_equal(run("export " DIR "/x.kml -o " DIR "/xf.h --name XF --json"), 0);
    cJSON *o = cJSON_Parse(slurp("out.txt"));
    assert_non_null(o);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "emi");
    assert_non_null(e);
    assert_int_equal((int)num(e, "threshold_q15"), 32440);
    assert_int_equal((int)num(e, "window"), 10);
    cJSON_Delete(o);
    h = slurp("xf.h");
    assert_non_null(strstr(h, "#define XF_IS_INTEGER 0\n"));
    assert_non_null(strstr(h, "#define XF_EMI_P_Q15 32440u\n"));
    assert_non_null(strstr(h, "#define XF_EMI_NEGATIVE (0)\n"));
    /* out of range thresholds and non-EMI models */
    assert_int_equal(run("export " DIR "/x.kml -o " DIR "/xf.h --emi-threshold 1.5"), 2);
    assert_int_equal(run("train " DATA " --epochs 1 --hidden 4 --threads 1 --quiet -o " DIR "/plain.kml"), 0);
    assert_int_equal(run("export " DIR "/plain.kml -o " DIR "/plain.h --emi-threshold 0.9"), 2);
    assert_non_null(strstr(slurp("err.txt"), "no /emi group"));
    assert_int_equal(run("export " DIR "/plain.kml -o " DIR "/plain.h"), 0);
    assert_null(strstr(slurp("plain.h"), "_EMI_"));
}

/* --qat: the last round trains on weights rounded to the 8-bit grid; the .kml then holds /quant
 * beside /emi, and emi eval streams that integer model, which keeps the float model's accuracy */
static void qat_path(void **state)
{
    (void)state;
    assert_int_equal(run("emi train " DATA " --window 10 --stride 5 --negative-class 0 --qat-epochs 2 -o " DIR
                         "/qa.kml"),
                     2);
    assert_non_null(strstr(slurp("err.txt"), "--qat-epochs needs --qat"));
    assert_int_equal(run("emi train " DATA " --window 10 --stride 5 --negative-class 0 --rounds 2 --epochs 5 "
                         "--hidden 8 --batch 50 --qat --threads 1 --quiet --json -o " DIR "/qa.kml"),
                     0);
    cJSON *o = cJSON_Parse(slurp("out.txt"));
    assert_non_null(o);
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(o, "quantized");
    assert_non_null(q);
    assert_int_equal((int)num(q, "qat_epochs"), 5); /* the last round */
    assert_int_equal((int)num(q, "bits"), 8);
    assert_true(num(o, "best_epoch") > 5);           /* kept from a QAT epoch of round 2 */
    /* every minibatch and validation pass of the 5 QAT epochs ran on rounded weights, no other:
     * 216 fit series (240 less the 10 % validation) x 7 instances = 1512 -> 31 minibatches of <= 50,
     * plus the validation pass, x 5 epochs (round 1 would double it) */
    assert_int_equal((int)num(o, "qat_rounded_passes"), 5 * (31 + 1));
    cJSON_Delete(o);
    assert_int_equal(run("emi eval " DIR "/qa.kml " DATA " --threshold 0.9 --json"), 0);
    double fa = 0, qa = integer_field("accuracy", "file");
    o = cJSON_Parse(slurp("out.txt"));
    fa = num(o, "accuracy");
    cJSON_Delete(o);
    print_message("  QAT: float %.3f, stored 8-bit integer %.3f at p 0.9\n", fa, qa);
    assert_true(fa >= 0.85);
    assert_true(qa >= fa - 0.03);
    /* only the integer cells can be trained for the integer path */
    assert_int_equal(run("emi train " DATA " --window 10 --stride 5 --negative-class 0 --cell gru --qat -o " DIR
                         "/qg.kml"),
                     2);
}

static void bad_models(void **state)
{
    (void)state;
    assert_int_equal(run("emi eval " DIR "/absent.kml " DATA), 1);
    assert_non_null(strstr(slurp("err.txt"), "absent.kml"));
    assert_int_equal(run("emi eval " DIR "/train.csv " DATA), 1); /* not HDF5 */
    assert_non_null(strstr(slurp("err.txt"), "kiloml: "));
    assert_int_equal(run("emi frobnicate"), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(negative_class_required),
        cmocka_unit_test(train_then_eval),
        cmocka_unit_test(stop_after_round),
        cmocka_unit_test(validation_groups),
        cmocka_unit_test(integer_path),
        cmocka_unit_test(quantized_file_keeps_emi),
        cmocka_unit_test(export_writes_emi_defines),
        cmocka_unit_test(qat_path),
        cmocka_unit_test(bad_models),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
