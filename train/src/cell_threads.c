/* cell_threads.c: worker threads for the cell kernels (cell_threads.h) and the thread setting. */
#define _POSIX_C_SOURCE 200809L
#include "cell_threads.h"

#include <cblas.h>
#include <stdlib.h>

#include "kiloml/cell.h"

static int g_threads = 0; /* 0: follow OpenBLAS */

void kml_cell_set_threads(int n) { g_threads = n > 0 ? n : 0; }

int kml_cell_workers(int S)
{
    int n = g_threads > 0 ? g_threads : openblas_get_num_threads();
    if (n > KML_CELL_MAX_THREADS) n = KML_CELL_MAX_THREADS;
    if (n > S / KML_CELL_MIN_ROWS) n = S / KML_CELL_MIN_ROWS;
    return n < 1 ? 1 : n;
}

typedef struct start_gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int state; /* 0 wait, 1 go, 2 abort */
} start_gate;

typedef struct worker_arg {
    start_gate *gate;
    void (*fn)(void *job, int w);
    void *job;
    int w;
} worker_arg;

static void *worker_main(void *p)
{
    worker_arg *a = p;
    pthread_mutex_lock(&a->gate->mu);
    while (a->gate->state == 0) pthread_cond_wait(&a->gate->cv, &a->gate->mu);
    int go = a->gate->state == 1;
    pthread_mutex_unlock(&a->gate->mu);
    if (go) a->fn(a->job, a->w);
    return NULL;
}

static void open_gate(start_gate *g, int state)
{
    pthread_mutex_lock(&g->mu);
    g->state = state;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

void kml_workers_run(kml_workers *wk, int n, void (*fn)(void *job, int w), void *job)
{
    if (n > KML_CELL_MAX_THREADS) n = KML_CELL_MAX_THREADS;
    wk->n = 1;
    if (n <= 1) {
        fn(job, 0);
        return;
    }
    start_gate gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    worker_arg args[KML_CELL_MAX_THREADS];
    pthread_t tid[KML_CELL_MAX_THREADS];
    int started = 1;
    for (int w = 1; w < n; w++) {
        args[w] = (worker_arg){&gate, fn, job, w};
        if (pthread_create(&tid[w], NULL, worker_main, &args[w]) != 0) break;
        started++;
    }
    if (started < n || pthread_barrier_init(&wk->barrier, NULL, (unsigned)n) != 0) {
        open_gate(&gate, 2);
        for (int w = 1; w < started; w++) pthread_join(tid[w], NULL);
        fn(job, 0); /* wk->n = 1 */
        return;
    }
    wk->n = n;
    open_gate(&gate, 1);
    fn(job, 0);
    for (int w = 1; w < n; w++) pthread_join(tid[w], NULL);
    pthread_barrier_destroy(&wk->barrier);
}

int kml_cell_blas_hold(int n)
{
    if (n <= 1) return 0;
    const int prev = openblas_get_num_threads();
    openblas_set_num_threads(1);
    return prev;
}

void kml_cell_blas_release(int prev)
{
    if (prev > 0) openblas_set_num_threads(prev);
}

void kml_workers_sync(kml_workers *wk)
{
    if (wk->n > 1) pthread_barrier_wait(&wk->barrier);
}
