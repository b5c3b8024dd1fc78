/* cell_threads.h (private to train/): the worker threads the cell kernels split a batch over.
 * Rows of a batch are independent series, so each worker runs the recurrence of its own rows;
 * the backward meets at a barrier once per chunk of steps to accumulate dW and dU.
 * The include needs _POSIX_C_SOURCE >= 200112L defined before any system header. */
#ifndef KML_CELL_THREADS_H
#define KML_CELL_THREADS_H

#include <pthread.h>

#include "cell_layout.h"

#define KML_CELL_MAX_THREADS KML_CELL_MAX_WORKERS
#define KML_CELL_MIN_ROWS 8 /* fewer rows per worker than this: not worth a thread */

/* Workers for a batch of S rows: kml_cell_set_threads' value, else OpenBLAS's thread count,
 * at most KML_CELL_MAX_THREADS and S / KML_CELL_MIN_ROWS, at least 1. */
int kml_cell_workers(int S);

typedef struct kml_workers {
    int n;
    pthread_barrier_t barrier; /* initialised only when n > 1 */
} kml_workers;

/* Run fn(job, w) for w = 0..wk->n-1, worker 0 on the calling thread; returns when all are done,
 * wk->n telling how many ran. n is what was asked for; if a thread cannot be started everything
 * runs as one worker (wk->n = 1), so fn must split its work by wk->n. */
void kml_workers_run(kml_workers *wk, int n, void (*fn)(void *job, int w), void *job);

/* With n > 1 workers, hold OpenBLAS to one thread for the whole cell call (the workers' products
 * are small and run side by side; OpenBLAS's own threads would spin in sched_yield beside them);
 * returns what to give kml_cell_blas_release (0: nothing was changed). */
int kml_cell_blas_hold(int n);
void kml_cell_blas_release(int prev);

/* All workers of the run wait here (no-op for one worker). */
void kml_workers_sync(kml_workers *wk);

#endif
