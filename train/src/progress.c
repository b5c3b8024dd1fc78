/* progress.c: training progress on stderr (see progress.h). */
#define _POSIX_C_SOURCE 200809L
#include "progress.h"

#include <stdarg.h>
#include <time.h>
#include <unistd.h>

double kml_now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void fmt_duration(char *buf, size_t n, double s)
{
    if (s < 0 || s != s) s = 0;
    long t = (long)(s + 0.5);
    if (t >= 3600) snprintf(buf, n, "%ldh%02ldm", t / 3600, (t / 60) % 60);
    else if (t >= 60) snprintf(buf, n, "%ldm%02lds", t / 60, t % 60);
    else snprintf(buf, n, "%lds", t);
}

void kml_progress_begin(kml_progress *p, FILE *out, int epochs, long batches_per_epoch)
{
    p->out = out;
    p->tty = out ? isatty(fileno(out)) : 0;
    p->epochs = epochs;
    p->batches = batches_per_epoch;
    p->t0 = kml_now_seconds();
    p->last_draw = 0;
    p->bar_shown = 0;
}

static double eta(const kml_progress *p, int e, long k)
{
    double done = (double)e * (double)p->batches + (double)(k + 1);
    double total = (double)p->epochs * (double)p->batches;
    double el = kml_now_seconds() - p->t0;
    return done > 0 ? el * (total - done) / done : 0;
}

void kml_progress_batch(kml_progress *p, int e, long k, double loss, double acc, double samples_per_s)
{
    if (!p->out || !p->tty) return;
    double now = kml_now_seconds();
    if (now - p->last_draw < 0.1 && k + 1 < p->batches) return;
    p->last_draw = now;
    char bar[21], t[32];
    int fill = (int)(20 * (k + 1) / (p->batches ? p->batches : 1));
    for (int i = 0; i < 20; i++) bar[i] = i < fill ? '#' : '.';
    bar[20] = '\0';
    fmt_duration(t, sizeof t, eta(p, e, k));
    fprintf(p->out, "\r\033[Kepoch %d/%d [%s] %ld/%ld loss %.4f acc %.4f %.0f samples/s ETA %s", e + 1, p->epochs, bar,
            k + 1, p->batches, loss, acc, samples_per_s, t);
    fflush(p->out);
    p->bar_shown = 1;
}

static void clear_bar(kml_progress *p)
{
    if (p->bar_shown) {
        fprintf(p->out, "\r\033[K");
        p->bar_shown = 0;
    }
}

void kml_progress_epoch(kml_progress *p, int e, double lr, double loss, double train_acc, double val_acc,
                        int best, double samples_per_s, long skipped)
{
    if (!p->out) return;
    clear_bar(p);
    char t[32], v[32] = "-";
    fmt_duration(t, sizeof t, eta(p, e, p->batches - 1));
    if (val_acc >= 0) snprintf(v, sizeof v, "%.4f", val_acc);
    fprintf(p->out, "epoch %d/%d lr %.3g loss %.4f train %.4f val %s%s %.0f samples/s", e + 1, p->epochs, lr, loss,
            train_acc, v, best ? " *" : "", samples_per_s);
    if (skipped) fprintf(p->out, " skipped %ld", skipped);
    fprintf(p->out, " ETA %s\n", t);
    fflush(p->out);
}

void kml_progress_note(kml_progress *p, const char *fmt, ...)
{
    if (!p->out) return;
    clear_bar(p);
    va_list ap;
    va_start(ap, fmt);
    fputs("kiloml: ", p->out);
    vfprintf(p->out, fmt, ap);
    fputc('\n', p->out);
    va_end(ap);
    fflush(p->out);
}

void kml_progress_end(kml_progress *p)
{
    if (p->out) clear_bar(p);
}
