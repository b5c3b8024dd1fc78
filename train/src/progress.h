/* progress.h (private to train/): training progress on stderr. On a TTY a live line
 * (epoch, batch bar, loss, accuracy, samples/s, ETA) redrawn at most 10 times a second; otherwise
 * one plain line per epoch. Notes (warnings) clear the live line first. */
#ifndef KILOML_PROGRESS_H
#define KILOML_PROGRESS_H

#include <stdio.h>

typedef struct kml_progress {
    FILE *out;            /* NULL = silent */
    int tty;
    int epochs;
    long batches;         /* per epoch */
    double t0, last_draw;
    int bar_shown;
} kml_progress;

double kml_now_seconds(void);
void kml_progress_begin(kml_progress *p, FILE *out, int epochs, long batches_per_epoch);
/* During epoch e (0-based), after batch k (0-based) with the running loss/accuracy so far. */
void kml_progress_batch(kml_progress *p, int e, long k, double loss, double acc, double samples_per_s);
/* At the end of epoch e: val_acc < 0 when there is no validation split. */
void kml_progress_epoch(kml_progress *p, int e, double lr, double loss, double train_acc, double val_acc,
                        int best, double samples_per_s, long skipped);
void kml_progress_note(kml_progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kml_progress_end(kml_progress *p);

#endif
