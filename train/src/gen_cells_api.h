/* gen_cells_api.h: generic body, included by cells_f32.c (REAL float, MODEL kml_model, public
 * names as in cell.h) and cells_f64.c (REAL double, MODEL kml_model_f64, names with _f64).
 * One definition of every kernel, two precisions: training uses float/sgemm, the gradient
 * checks use double/dgemm on the very same code. */

typedef struct fwd_job {
    const cell_ctx *full;
    int T;
    REAL *cache, *Hs;
    const kml_cell_layout *L;
    kml_workers wk;
} fwd_job;

static void fwd_worker(void *p, int w)
{
    fwd_job *j = p;
    const int S = j->full->S, n = j->wk.n, b0 = rows_from(S, n, w);
    cell_ctx c = *j->full;
    c.B = rows_from(S, n, w + 1) - b0;
    switch (c.cfg->cell) {
    case KML_CELL_FASTRNN: fastrnn_forward(&c, j->T, j->cache, j->L, j->Hs, b0); break;
    case KML_CELL_FASTGRNN: fastgrnn_forward(&c, j->T, j->cache, j->L, j->Hs, b0); break;
    case KML_CELL_RNN: rnn_forward(&c, j->T, j->cache, j->L, j->Hs, b0); break;
    case KML_CELL_GRU: gru_forward(&c, j->T, j->cache, j->L, j->Hs, b0); break;
    case KML_CELL_LSTM: lstm_forward(&c, j->T, j->cache, j->L, j->Hs, b0); break;
    default: break;
    }
}

void KML_API(kml_cell_forward)(const MODEL *m, const REAL *X, int T, int B, REAL *cache, REAL *Hs)
{
    if (T <= 0 || B <= 0) return;
    kml_cell_layout L;
    kml_cell_layout_of(&m->cfg, T, B, &L);
    const cell_ctx c = ctx_of(&m->cfg, m->p, B);
    KML_FP_ENTER(fp);
    const int n = kml_cell_workers(B), blas = kml_cell_blas_hold(n);
    /* x·W for every step and row at once, then the recurrence by rows */
    proj_x(&c, X, T * B, cache + L.xw1, m->cfg.cell == KML_CELL_RNN ? Hs : cache + L.a);
    fwd_job j = {.full = &c, .T = T, .cache = cache, .Hs = Hs, .L = &L, .wk = {.n = 1}};
    kml_workers_run(&j.wk, n, fwd_worker, &j);
    kml_cell_blas_release(blas);
    KML_FP_LEAVE(fp);
}

void KML_API(kml_cell_backward)(const MODEL *m, const REAL *X, int T, int B, const REAL *cache, const REAL *Hs,
                                const REAL *dHs, REAL *scratch, MODEL *grad)
{
    if (T <= 0 || B <= 0) return;
    kml_cell_layout L;
    kml_cell_layout_of(&m->cfg, T, B, &L);
    cell_ctx c = ctx_of(&m->cfg, m->p, B);
    c.dh_clip = (REAL)m->bptt_clip;
    REAL *const *Gp = grad->p;
    KML_FP_ENTER(fp);
    switch (m->cfg.cell) {
    case KML_CELL_FASTRNN: fastrnn_backward(&c, Gp, X, T, cache, &L, Hs, dHs, scratch); break;
    case KML_CELL_FASTGRNN: fastgrnn_backward(&c, Gp, X, T, cache, &L, Hs, dHs, scratch); break;
    case KML_CELL_RNN: rnn_backward(&c, Gp, X, T, cache, &L, Hs, dHs, scratch); break;
    case KML_CELL_GRU: gru_backward(&c, Gp, X, T, cache, &L, Hs, dHs, scratch); break;
    case KML_CELL_LSTM: lstm_backward(&c, Gp, X, T, cache, &L, Hs, dHs, scratch); break;
    default: break;
    }
    KML_FP_LEAVE(fp);
}

void KML_API(kml_classifier_forward)(const MODEL *m, const REAL *Hsel, int N, REAL *logits)
{
    classifier_forward(m->p, m->cfg.H, m->cfg.C, Hsel, N, logits);
}

void KML_API(kml_classifier_backward)(const MODEL *m, const REAL *Hsel, const REAL *dlogits, int N, REAL *dHsel,
                                      MODEL *grad)
{
    classifier_backward(m->p, grad->p, m->cfg.H, m->cfg.C, Hsel, dlogits, N, dHsel);
}

double KML_API(kml_softmax_xent)(const REAL *logits, const int32_t *y, const REAL *weight, int N, int C,
                                 REAL *dlogits)
{
    return softmax_xent(logits, y, weight, N, C, dlogits);
}

void KML_API(kml_nonlin_forward)(kml_nonlin nl, const REAL *x, REAL *y, size_t n)
{
    if (y != x) memmove(y, x, n * sizeof(REAL));
    nl_vec(nl, y, n);
}

void KML_API(kml_nonlin_deriv)(kml_nonlin nl, const REAL *y, REAL *dy, size_t n)
{
    nl_dvec(nl, y, dy, n);
}
