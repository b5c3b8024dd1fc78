/* export/src/measure.c: `kiloml export --measure`: build an exported header into firmware, run
 * it in simavr / QEMU and read back sizes, cycles and host agreement (see kiloml/measure.h).
 * The heavy lifting is shared with the device tests: the cross build is examples/firmware and
 * the run + comparison + size reading is cmake/run_sim.cmake (in its SOFT mode, which reports a
 * disagreement instead of failing). This file writes the inputs, runs those and parses the report. */
#define _XOPEN_SOURCE 700 /* realpath, mkdtemp */
#include "kiloml/measure.h"
#include "kiloml/qmodel.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Paths fixed at build time by cmake/firmware.cmake ("" when not found). */
#ifndef KML_MEASURE_SOURCE_DIR
#define KML_MEASURE_SOURCE_DIR ""
#endif
#ifndef KML_MEASURE_CMAKE
#define KML_MEASURE_CMAKE ""
#endif
#ifndef KML_MEASURE_HOST_CC
#define KML_MEASURE_HOST_CC ""
#endif
#ifndef KML_MEASURE_SIMAVR_RUN
#define KML_MEASURE_SIMAVR_RUN ""
#endif
#ifndef KML_MEASURE_AVR_GCC
#define KML_MEASURE_AVR_GCC ""
#endif
#ifndef KML_MEASURE_AVR_SIZE
#define KML_MEASURE_AVR_SIZE ""
#endif
#ifndef KML_MEASURE_AVR_NM
#define KML_MEASURE_AVR_NM ""
#endif
#ifndef KML_MEASURE_ARM_GCC
#define KML_MEASURE_ARM_GCC ""
#endif
#ifndef KML_MEASURE_ARM_SIZE
#define KML_MEASURE_ARM_SIZE ""
#endif
#ifndef KML_MEASURE_ARM_NM
#define KML_MEASURE_ARM_NM ""
#endif
#ifndef KML_MEASURE_QEMU
#define KML_MEASURE_QEMU ""
#endif
#ifndef KML_MEASURE_PLUGIN
#define KML_MEASURE_PLUGIN ""
#endif

#define MAX_VECTOR_BYTES 12288 /* extra test windows kept under 12 KB of flash */

void kml_measure_opts_init(kml_measure_opts *o)
{
    memset(o, 0, sizeof *o);
    o->target = KML_TARGET_ATMEGA328P;
    o->windows = 24;
    o->seed = 1;
    o->timeout_s = 120;
}

static int is_executable(const char *p) { return p[0] && access(p, X_OK) == 0; }
static int is_file(const char *p) { return p[0] && access(p, R_OK) == 0; }

int kml_measure_available(kml_target t, kml_error *err)
{
    const char *missing = NULL;
    if (!is_file(KML_MEASURE_SOURCE_DIR "/examples/firmware/model_main.c")) missing = "the kiloml source tree";
    else if (!is_executable(KML_MEASURE_CMAKE)) missing = "cmake";
    else if (!is_executable(KML_MEASURE_HOST_CC)) missing = "the host C compiler";
    else if (t == KML_TARGET_ATMEGA328P) {
        if (!is_executable(KML_MEASURE_AVR_GCC)) missing = "avr-gcc (apt-get install gcc-avr avr-libc)";
        else if (!is_executable(KML_MEASURE_AVR_SIZE) || !is_executable(KML_MEASURE_AVR_NM)) missing = "avr-size/avr-nm";
        else if (!is_executable(KML_MEASURE_SIMAVR_RUN))
            missing = "the simavr harness (libsimavr: apt-get install simavr libsimavr-dev, then rebuild kiloml)";
    } else if (t == KML_TARGET_CORTEX_M0PLUS) {
        if (!is_executable(KML_MEASURE_ARM_GCC)) missing = "arm-none-eabi-gcc (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)";
        else if (!is_executable(KML_MEASURE_ARM_SIZE) || !is_executable(KML_MEASURE_ARM_NM)) missing = "arm-none-eabi-size/nm";
        else if (!is_executable(KML_MEASURE_QEMU)) missing = "qemu-system-arm (apt-get install qemu-system-arm)";
        else if (!is_file(KML_MEASURE_PLUGIN)) missing = "the QEMU plugin libkml_qemu_insn.so (rebuild kiloml)";
    } else {
        return kml_error_set(err, "measure: --measure needs --target atmega328p or cortex-m0plus");
    }
    if (missing) return kml_error_set(err, "measure: cannot measure on %s: %s not found", kml_target_name(t), missing);
    return 0;
}

/* ---- test windows ------------------------------------------------------------------------ */
int kml_measure_write_vectors(const char *path, int first, int n, int T, int D, int q, kml_rng *rng, kml_error *err)
{
    if (n < 1 || T < 1 || D < 1 || q < 0 || q > 12)
        return kml_error_set(err, "measure: bad test-window shape n=%d T=%d D=%d q=%d", n, T, D, q);
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) return kml_error_set(err, "measure: path too long: %s", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return kml_error_set(err, "measure: cannot write %s: %s", tmp, strerror(errno));
    int32_t *level = calloc((size_t)D, sizeof *level);
    if (!level) {
        fclose(f);
        remove(tmp);
        return kml_error_set(err, "measure: out of memory");
    }
    const int32_t one = (int32_t)1 << q, lim = 6 * one;
    fprintf(f, "/* %s: test windows %d..%d for examples/firmware/model_main.c (written by kiloml). */\n", path,
            first, first + n - 1);
    fprintf(f, "#ifndef KML_VECTORS_H\n#define KML_VECTORS_H\n#include \"kiloml/kml_port.h\"\n");
    fprintf(f, "#define KML_VEC_FIRST %d\n#define KML_VEC_N %d\n#define KML_VEC_T %d\n#define KML_VEC_D %d\n"
               "#define KML_VEC_Q %d\n",
            first, n, T, D, q);
    fprintf(f, "static const int16_t kml_vec_x[%ld] KML_FLASH = {", (long)n * T * D);
    long k = 0;
    for (int w = 0; w < n; w++) {
        /* per feature: a random level in [-2, 2], then a random walk with steps up to ±0.5 */
        for (int i = 0; i < D; i++) level[i] = ((int32_t)kml_rng_below(rng, 5) - 2) * one;
        for (int t = 0; t < T; t++)
            for (int i = 0; i < D; i++) {
                level[i] += (int32_t)kml_rng_below(rng, (uint32_t)one + 1) - one / 2;
                if (level[i] > lim) level[i] = lim;
                if (level[i] < -lim) level[i] = -lim;
                fprintf(f, "%s%s%ld", k ? "," : "", k % 16 ? "" : "\n    ", (long)level[i]);
                k++;
            }
    }
    fprintf(f, "\n};\n#endif\n");
    free(level);
    if (ferror(f) | fclose(f) || rename(tmp, path) != 0) {
        remove(tmp);
        return kml_error_set(err, "measure: cannot write %s: %s", path, strerror(errno));
    }
    return 0;
}

int kml_measure_write_stream(const char *path, const float *x, const int32_t *T, int T_max, int n, int D,
                             int q_in, kml_error *err)
{
    if (n < 1 || n > 65535 || T_max < 1 || T_max > 65535 || D < 1)
        return kml_error_set(err, "measure: cannot stream %d windows of up to %d steps x %d features", n, T_max, D);
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) return kml_error_set(err, "measure: path too long: %s", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) return kml_error_set(err, "measure: cannot write %s: %s", tmp, strerror(errno));
    /* little-endian uint16 N, then per window uint16 T and T*D int16 */
#define PUT16(v) (fputc((int)((uint16_t)(v) & 0xFFu), f), fputc((int)((uint16_t)(v) >> 8), f))
    PUT16(n);
    for (int w = 0; w < n; w++) {
        int t_w = T ? (int)T[w] : T_max;
        if (t_w < 1 || t_w > T_max) {
            fclose(f);
            remove(tmp);
            return kml_error_set(err, "measure: window %d has %d steps (1..%d expected)", w, t_w, T_max);
        }
        PUT16(t_w);
        const float *xw = x + (size_t)w * T_max * D;
        for (long k = 0; k < (long)t_w * D; k++) PUT16(kml_q_input(xw[k], q_in));
    }
#undef PUT16
    if (ferror(f) | fclose(f) || rename(tmp, path) != 0) {
        remove(tmp);
        return kml_error_set(err, "measure: cannot write %s: %s", path, strerror(errno));
    }
    return 0;
}

/* ---- running tools ---------------------------------------------------------------------- */
/* Run argv[0] with stdout+stderr appended to log; returns the exit status, -1 if it could not run. */
static int run(char *const argv[], const char *log)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return -1;
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* A command line built argument by argument (printf-style), heap-held. */
#define CL_MAX_ARGS 48
typedef struct {
    char buf[CL_MAX_ARGS][PATH_MAX + 128];
    char *argv[CL_MAX_ARGS + 1];
    int n, overflow;
} cmdline;

static void cl_add(cmdline *c, const char *fmt, ...) KML_PRINTF(2, 3);
static void cl_add(cmdline *c, const char *fmt, ...)
{
    if (c->n >= CL_MAX_ARGS) {
        c->overflow = 1;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(c->buf[c->n], sizeof c->buf[0], fmt, ap);
    va_end(ap);
    if (len < 0 || len >= (int)sizeof c->buf[0]) c->overflow = 1;
    c->argv[c->n] = c->buf[c->n];
    c->argv[++c->n] = NULL;
}

static int cl_run(cmdline *c, const char *log, const char *what, kml_error *err)
{
    if (c->overflow) return kml_error_set(err, "measure: %s: command line too long", what);
    int rc = run(c->argv, log);
    c->n = 0;
    if (rc != 0) return kml_error_set(err, "measure: %s failed (status %d); see %s", what, rc, log);
    return 0;
}

/* ---- reading the header and the report ---------------------------------------------------- */
static int header_define(const char *text, const char *prefix, const char *suffix, long *out)
{
    char key[160];
    snprintf(key, sizeof key, "#define %s%s ", prefix, suffix);
    const char *p = strstr(text, key);
    if (!p) return -1;
    *out = strtol(p + strlen(key), NULL, 10);
    return 0;
}

static char *read_text(const char *path, kml_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        kml_error_set(err, "measure: cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) break;
        n += fread(buf + n, 1, cap - 1 - n, f);
        if (n < cap - 1) break;
        char *grown = realloc(buf, cap *= 2);
        if (!grown) free(buf);
        buf = grown;
    }
    fclose(f);
    if (!buf) {
        kml_error_set(err, "measure: out of memory reading %s", path);
        return NULL;
    }
    buf[n] = 0;
    return buf;
}

static int report_u64(const char *text, const char *key, uint64_t *out)
{
    size_t k = strlen(key);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (!strncmp(p, key, k) && p[k] == '=') {
            *out = strtoull(p + k + 1, NULL, 10);
            return 0;
        }
    }
    return -1;
}

/* True when the log, from byte offset `from`, holds a linker "region ... overflowed" message;
 * *over gets the number of bytes. */
static int log_overflowed(const char *log, long from, long *over)
{
    FILE *f = fopen(log, "r");
    if (!f) return 0;
    int found = 0;
    char line[1024];
    if (fseek(f, from, SEEK_SET) == 0)
        while (fgets(line, sizeof line, f)) {
            const char *p = strstr(line, "overflowed by ");
            if (p && strstr(line, "region")) {
                *over = strtol(p + strlen("overflowed by "), NULL, 10);
                found = 1;
            }
        }
    fclose(f);
    return found;
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

/* ---- the measurement -------------------------------------------------------------------- */
static void remove_tree(const char *dir)
{
    char *argv[] = {(char *)KML_MEASURE_CMAKE, (char *)"-E", (char *)"rm", (char *)"-rf", (char *)dir, NULL};
    run(argv, "/dev/null");
}

/* The w<i>=<class>|<logits>|<h> lines of a firmware's output, for i < n: line[i] points into
 * text (terminated there), NULL when missing. */
static void window_lines(char *text, int n, char **line)
{
    for (int i = 0; i < n; i++) line[i] = NULL;
    for (char *p = text; p && *p;) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = 0;
        size_t len = strlen(p);
        if (len && p[len - 1] == '\r') p[len - 1] = 0;
        char *end;
        if (p[0] == 'w' && p[1] >= '0' && p[1] <= '9') {
            long i = strtol(p + 1, &end, 10);
            if (*end == '=' && i >= 0 && i < n) line[i] = end + 1;
        }
        p = nl ? nl + 1 : NULL;
    }
}

/* Streamed windows: compare the device's and the host build's lines window by window. */
static int stream_results(const kml_measure_opts *o, kml_measure_result *r, const char *fw, kml_error *err)
{
    char dev_path[PATH_MAX + 128], host_path[PATH_MAX + 128];
    if (snprintf(dev_path, sizeof dev_path, "%.*s/fw_model.%.15s.out.txt", PATH_MAX, fw, r->target) >= (int)sizeof dev_path ||
        snprintf(host_path, sizeof host_path, "%.*s/fw_model.%.15s.host.txt", PATH_MAX, fw, r->target) >= (int)sizeof host_path)
        return kml_error_set(err, "measure: path too long: %s", fw);
    char *dev = read_text(dev_path, err), *host = dev ? read_text(host_path, err) : NULL;
    char **dl = calloc((size_t)o->input_n, sizeof *dl), **hl = calloc((size_t)o->input_n, sizeof *hl);
    int rc = 0;
    if (!dev || !host || !dl || !hl) {
        rc = dev && host ? kml_error_set(err, "measure: out of memory") : -1;
        goto done;
    }
    window_lines(dev, o->input_n, dl);
    window_lines(host, o->input_n, hl);
    r->input_agree = 0;
    for (int i = 0; i < o->input_n; i++) {
        if (o->dev_pred) o->dev_pred[i] = dl[i] ? (int32_t)strtol(dl[i], NULL, 10) : -1;
        if (o->host_pred) o->host_pred[i] = hl[i] ? (int32_t)strtol(hl[i], NULL, 10) : -1;
        int same = dl[i] && hl[i] && strcmp(dl[i], hl[i]) == 0;
        if (o->same) o->same[i] = (uint8_t)same;
        r->input_agree += same;
    }
done:
    free(dl);
    free(hl);
    free(dev);
    free(host);
    return rc;
}

static int measure_in(const kml_measure_opts *o, kml_measure_result *r, const char *dir, cmdline *c, kml_error *err)
{
    const int avr = o->target == KML_TARGET_ATMEGA328P;
    char header[PATH_MAX], log[PATH_MAX + 32], vec[PATH_MAX + 32], fw[PATH_MAX + 32], host[PATH_MAX + 32],
        report[PATH_MAX + 32], elf[PATH_MAX + 64];
    if (!realpath(o->header, header)) return kml_error_set(err, "measure: cannot find %s: %s", o->header, strerror(errno));
    snprintf(log, sizeof log, "%s/measure.log", dir);
    snprintf(vec, sizeof vec, "%s/vectors.h", dir);
    snprintf(fw, sizeof fw, "%s/fw", dir);
    snprintf(host, sizeof host, "%s/host_ref", dir);
    snprintf(report, sizeof report, "%s/report.txt", dir);
    snprintf(elf, sizeof elf, "%s/fw_model_0.elf", fw);

    /* 1. the header's shape, and test windows in its input format */
    char *text = read_text(header, err);
    if (!text) return -1;
    long D = 0, is_q = 0, q_in = 8, test_T = 0;
    int bad = header_define(text, o->name, "_D", &D) || header_define(text, o->name, "_IS_INTEGER", &is_q) ||
              header_define(text, o->name, "_TEST_T", &test_T);
    if (is_q && header_define(text, o->name, "_Q_IN", &q_in)) bad = 1;
    free(text);
    if (bad || D < 1)
        return kml_error_set(err, "measure: %s is not a header written by `kiloml export --name %s` "
                                  "(no %s_D / _IS_INTEGER / _TEST_T)", o->header, o->name, o->name);
    int T = o->T > 0 ? o->T : (int)test_T;
    const int stream = o->input_x != NULL;
    char input[PATH_MAX + 32];
    snprintf(input, sizeof input, "%s/windows.bin", dir);
    if (stream && !is_q)
        return kml_error_set(err, "measure: streamed test windows need an integer model (%s is a float header)", o->header);
    if (stream && kml_measure_write_stream(input, o->input_x, o->input_len, o->input_T, o->input_n, (int)D, (int)q_in, err))
        return -1;
    int max_windows = stream ? 0 : o->windows;
    while (max_windows > 0 && (long)max_windows * T * D * 2 > MAX_VECTOR_BYTES) max_windows--;

    /* 2. the firmware (cross). When the image does not fit the target's flash, try again with
     * fewer extra windows, then without the header's own test window (its arrays drop out). */
    const int tries[][2] = {{max_windows, 1}, {max_windows / 4, 1}, {1, 1}, {max_windows, 0}, {1, 0}};
    int windows = 0, selftest = 1, built = 0;
    long over = 0;
    for (size_t k = 0; k < sizeof tries / sizeof tries[0] && !built; k++) {
        windows = tries[k][0] < max_windows ? tries[k][0] : max_windows;
        selftest = tries[k][1];
        if (!selftest && windows < 1 && !stream) continue;
        if (k > 0 && windows == tries[k - 1][0] && selftest == tries[k - 1][1]) continue;
        if (windows > 0) {
            kml_rng rng; /* same seed: a smaller set is a prefix of the larger one */
            kml_rng_seed(&rng, o->seed);
            if (kml_measure_write_vectors(vec, 0, windows, T, (int)D, (int)q_in, &rng, err)) return -1;
        }
        cl_add(c, "%s", KML_MEASURE_CMAKE);
        cl_add(c, "-S%s/examples/firmware", KML_MEASURE_SOURCE_DIR);
        cl_add(c, "-B%s", fw);
        cl_add(c, "-DCMAKE_TOOLCHAIN_FILE=%s/cmake/%s", KML_MEASURE_SOURCE_DIR,
               avr ? "avr-gcc.cmake" : "arm-none-eabi.cmake");
        cl_add(c, "-DCMAKE_BUILD_TYPE=MinSizeRel");
        cl_add(c, "-DKML_MODEL_HEADER=%s", header);
        cl_add(c, "-DKML_MODEL_NAME=%s", o->name);
        cl_add(c, "-DKML_VECTORS_HEADERS=%s", windows > 0 ? vec : "");
        cl_add(c, "-DKML_NO_SELFTEST=%s", selftest ? "OFF" : "ON");
        cl_add(c, "-DKML_STREAM=%s", stream ? "ON" : "OFF");
        if (cl_run(c, log, "configuring the firmware", err)) return -1;
        long mark = file_size(log);
        cl_add(c, "%s", KML_MEASURE_CMAKE);
        cl_add(c, "--build");
        cl_add(c, "%s", fw);
        cl_add(c, "--target");
        cl_add(c, "%s", windows > 0 ? "fw_model_0" : "fw_model");
        if (cl_run(c, log, "building the firmware", err) == 0) {
            built = 1;
        } else if (!log_overflowed(log, mark, &over)) {
            return -1;
        }
    }
    if (!built)
        return kml_error_set(err, "measure: the firmware does not fit the %s's flash even with one test window and "
                                  "without the header's test data (over by %ld bytes)",
                             kml_target_name(o->target), over);
    if (windows == 0) snprintf(elf, sizeof elf, "%s/fw_model.elf", fw);
    r->extra_windows = windows;

    cl_add(c, "%s", KML_MEASURE_HOST_CC);
    cl_add(c, "-std=c11");
    cl_add(c, "-O1");
    cl_add(c, "-I%s/examples/firmware", KML_MEASURE_SOURCE_DIR);
    cl_add(c, "-I%s/deploy/include", KML_MEASURE_SOURCE_DIR);
    cl_add(c, "-DKML_MODEL_HEADER=\"%s\"", header);
    cl_add(c, "-DKML_MODEL_NAME=%s", o->name);
    if (windows > 0) cl_add(c, "-DKML_VECTORS_HEADER=\"%s\"", vec);
    if (!selftest) cl_add(c, "-DKML_NO_SELFTEST");
    if (stream) cl_add(c, "-DKML_STREAM");
    cl_add(c, "-o%s", host);
    cl_add(c, "%s/examples/firmware/model_main.c", KML_MEASURE_SOURCE_DIR);
    cl_add(c, "%s/examples/firmware/board_host.c", KML_MEASURE_SOURCE_DIR);
    cl_add(c, "%s/examples/firmware/out.c", KML_MEASURE_SOURCE_DIR);
    glob_t g;
    if (glob(KML_MEASURE_SOURCE_DIR "/deploy/src/*.c", 0, NULL, &g) != 0)
        return kml_error_set(err, "measure: no runtime sources in %s/deploy/src", KML_MEASURE_SOURCE_DIR);
    for (size_t i = 0; i < g.gl_pathc; i++) cl_add(c, "%s", g.gl_pathv[i]);
    globfree(&g);
    if (cl_run(c, log, "building the host reference", err)) return -1;

    /* 3+4. run, compare, sizes: cmake/run_sim.cmake in SOFT mode */
    cl_add(c, "%s", KML_MEASURE_CMAKE);
    cl_add(c, "-DDEVICE=%s", kml_target_name(o->target));
    cl_add(c, "-DELF=%s", elf);
    cl_add(c, "-DHOST_REF=%s", host);
    if (avr) {
        cl_add(c, "-DSIMAVR_RUN=%s", KML_MEASURE_SIMAVR_RUN);
        cl_add(c, "-DSIZE=%s", KML_MEASURE_AVR_SIZE);
        cl_add(c, "-DNM=%s", KML_MEASURE_AVR_NM);
    } else {
        cl_add(c, "-DQEMU=%s", KML_MEASURE_QEMU);
        cl_add(c, "-DPLUGIN=%s", KML_MEASURE_PLUGIN);
        cl_add(c, "-DSIZE=%s", KML_MEASURE_ARM_SIZE);
        cl_add(c, "-DNM=%s", KML_MEASURE_ARM_NM);
    }
    cl_add(c, "-DSTEP_REGION=3");
    cl_add(c, "-DWINDOW_REGION=5");
    cl_add(c, "-DVECTORS_SYMBOL=kml_vec_x;%s_test_x;%s_test_logits", o->name, o->name);
    cl_add(c, "-DSOFT=ON");
    if (stream) cl_add(c, "-DINPUT=%s", input);
    /* streamed windows: the simulator's time grows with their number */
    cl_add(c, "-DTIMEOUT=%d", (o->timeout_s > 0 ? o->timeout_s : 120) + (stream ? 3 * o->input_n : 0));
    cl_add(c, "-DREPORT=%s", report);
    cl_add(c, "-P");
    cl_add(c, "%s/cmake/run_sim.cmake", KML_MEASURE_SOURCE_DIR);
    if (cl_run(c, log, "running the firmware in the simulator", err)) return -1;

    char *rep = read_text(report, err);
    if (!rep) return -1;
    uint64_t flash = 0, vec_bytes = 0, ram_static = 0, stack = 0, step = 0, window = 0, insns = 0, agree = 0, n = 0,
             selfcheck = 0;
    bad = report_u64(rep, "flash_bytes", &flash) || report_u64(rep, "ram_static_bytes", &ram_static) ||
          report_u64(rep, "stack_peak_bytes", &stack) || report_u64(rep, "cycles_per_step", &step) ||
          report_u64(rep, "windows_agree", &agree) || report_u64(rep, "windows_n", &n);
    if (selftest) bad |= report_u64(rep, "device_selfcheck", &selfcheck);
    bad |= report_u64(rep, "vectors_bytes", &vec_bytes);
    if (windows > 0) bad |= report_u64(rep, "cycles_per_window", &window);
    if (!avr) report_u64(rep, "insns_per_step", &insns);
    free(rep);
    if (bad) return kml_error_set(err, "measure: incomplete simulator report %s", report);
    if (stream) {
        window = step * (uint64_t)T; /* every step is timed; the UART reads between them are not */
        if (stream_results(o, r, fw, err)) return -1;
    }
    r->flash_bytes = (uint32_t)(flash - vec_bytes);
    r->ram_static_bytes = (uint32_t)ram_static;
    r->stack_bytes = (uint32_t)stack;
    r->ram_bytes = (uint32_t)(ram_static + stack);
    r->cycles_per_step = step;
    r->cycles_per_window = window;
    r->insns_per_step = insns;
    r->clock_mhz = avr ? 16.0 : 48.0;
    r->ms_per_window = (double)window / (r->clock_mhz * 1000.0);
    r->cycles_exact = avr;
    r->agree = (int)agree;
    r->n = (int)n;
    r->selfcheck = selftest ? (int)selfcheck : -1;
    r->fits = r->flash_bytes <= 32768u && r->ram_bytes <= 2048u;
    return 0;
}

int kml_measure(const kml_measure_opts *o, kml_measure_result *r, kml_error *err)
{
    memset(r, 0, sizeof *r);
    if (!o || !o->header || !o->name) return kml_error_set(err, "measure: a header and its --name are needed");
    if (kml_measure_available(o->target, err)) return -1;
    snprintf(r->target, sizeof r->target, "%s", kml_target_name(o->target));
    const char *tmp = getenv("TMPDIR");
    snprintf(r->work_dir, sizeof r->work_dir, "%s/kiloml-measure-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(r->work_dir)) return kml_error_set(err, "measure: cannot create a work folder: %s", strerror(errno));
    cmdline *c = calloc(1, sizeof *c);
    int rc = c ? measure_in(o, r, r->work_dir, c, err) : kml_error_set(err, "measure: out of memory");
    free(c);
    char log[sizeof r->work_dir + 16];
    snprintf(log, sizeof log, "%s/measure.log", r->work_dir);
    if (rc != 0 && access(log, R_OK) == 0) {
        /* a tool failed: keep its log for the user */
        kml_error_prefix(err, "work folder %s kept", r->work_dir);
    } else if (!o->keep) {
        remove_tree(r->work_dir);
    }
    return rc;
}

void kml_measure_print(FILE *f, const kml_measure_result *r)
{
    fprintf(f, "target=%s\n", r->target);
    fprintf(f, "flash_bytes=%u\n", r->flash_bytes);
    fprintf(f, "ram_bytes=%u\n", r->ram_bytes);
    fprintf(f, "ram_static_bytes=%u\n", r->ram_static_bytes);
    fprintf(f, "stack_bytes=%u\n", r->stack_bytes);
    fprintf(f, "cycles_per_step=%llu\n", (unsigned long long)r->cycles_per_step);
    fprintf(f, "cycles_per_window=%llu\n", (unsigned long long)r->cycles_per_window);
    if (!r->cycles_exact) fprintf(f, "insns_per_step=%llu\n", (unsigned long long)r->insns_per_step);
    fprintf(f, "clock_mhz=%g\n", r->clock_mhz);
    fprintf(f, "ms_per_window=%.3f\n", r->ms_per_window);
    fprintf(f, "cycles=%s\n", r->cycles_exact ? "exact (simavr)" : "estimate (QEMU instruction count x Cortex-M0+ TRM timings)");
    fprintf(f, "agree=%d\n", r->agree);
    fprintf(f, "n=%d\n", r->n);
    fprintf(f, "selfcheck=%d\n", r->selfcheck);
    fprintf(f, "extra_windows=%d\n", r->extra_windows);
    fprintf(f, "fits=%d\n", r->fits);
}
