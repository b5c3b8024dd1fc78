/* gen_cell_bptt.h: generic body (REAL = float or double), included by cells_f32.c / cells_f64.c.
 * The backward-through-time walk every cell shares. Each cell supplies one elementwise step:
 * from dh = dLoss/dh_t it writes the gradient of the x-side pre-activation (dax), of the h-side
 * pre-activation (dah; the same array except for GRU) and the direct part of dLoss/dh_{t-1} (dh2).
 * The walk adds dah·Uᵀ to dh2, adds dHs[t-1], and every KML_CELL_CHUNK steps accumulates
 * dW and dU over the chunk with one gemm each (flush_w, flush_u).
 * Workers (cell_threads.h) walk their own rows; at the end of a chunk they meet, worker 0
 * accumulates dW and worker 1 (or 0) dU over all rows, and they meet again. */

typedef struct cell_bwd {
    const REAL *a, *c2, *c3, *Hs; /* cache regions (cell_layout.h) and the hidden states */
    REAL *dc;                     /* LSTM: running dLoss/dc */
    REAL *dv;                     /* derivatives of the nonlinearities (worker's own) */
    REAL *acc1, *acc2;            /* [H] per-unit sums of dLoss/dσ(·) for the cell's two scalars */
    const REAL *zero;             /* [B][H] zeros, standing for h_{-1} and c_{-1} */
    REAL s1, s2;                  /* σ(α), σ(β) (FastRNN) or σ(ζ), σ(ν) (FastGRNN) */
    REAL *gb, *gb2;               /* bias gradients (b or b_g; b_u or b_h) */
    double sum1, sum2;            /* out: Σ acc1, Σ acc2 over all rows */
} cell_bwd;

typedef void (*bwd_step_fn)(const cell_ctx *c, cell_bwd *s, int t, const REAL *dh, REAL *dh2, REAL *dax,
                            REAL *dah);

typedef struct bptt_job {
    const cell_ctx *full; /* all S rows; Ut prepared */
    REAL *const *Gp;
    const REAL *X, *cache, *Hs, *dHs;
    REAL *scratch;
    const kml_cell_layout *L;
    int T;
    const cell_bwd *tmpl; /* region bases (row 0) and scalars; gb/gb2 = the grad tensors */
    bwd_step_fn step;
    kml_workers wk;
} bptt_job;

static int rows_from(int S, int n, int w) { return (int)((long)S * w / n); }

static void bptt_worker(void *p, int w)
{
    bptt_job *j = p;
    const cell_ctx *F = j->full;
    const kml_cell_layout *L = j->L;
    const int n = j->wk.n, S = F->S, H = F->H, GH = F->GH, rU = F->rU, T = j->T;
    const int b0 = rows_from(S, n, w), B = rows_from(S, n, w + 1) - b0;
    cell_ctx c = *F;
    c.B = B;
    const size_t SH = (size_t)S * H, SG = (size_t)S * GH, SU = (size_t)S * rU, BH = (size_t)B * H;
    REAL *sc = j->scratch, *wk = sc + L->wk + (size_t)w * L->wk_size;
    cell_bwd s = *j->tmpl;
    s.a = s.a ? s.a + (size_t)b0 * GH : NULL;
    s.c2 = s.c2 ? s.c2 + (size_t)b0 * H : NULL;
    s.c3 = s.c3 ? s.c3 + (size_t)b0 * H : NULL;
    s.Hs = j->Hs + (size_t)b0 * H;
    s.dc = s.dc ? s.dc + (size_t)b0 * H : NULL;
    s.zero = sc + L->zero + (size_t)b0 * H;
    s.dv = wk;
    s.acc1 = wk + L->wk_acc;
    s.acc2 = wk + L->wk_acc + H;
    s.gb = wk + L->wk_gb;
    s.gb2 = wk + L->wk_gb2;
    memset(wk + L->wk_acc, 0, (L->wk_size - L->wk_acc) * sizeof(REAL));
    REAL *dh = sc + L->dh + (size_t)b0 * H, *dh2 = sc + L->dh2 + (size_t)b0 * H;
    REAL *dax = sc + L->dax + (size_t)b0 * GH, *dah = sc + L->dah + (size_t)b0 * GH;
    REAL *dhu1 = sc + L->dhu1 + (size_t)b0 * rU;
    const REAL *dHs = j->dHs + (size_t)b0 * H;
    memcpy(dh, dHs + (size_t)(T - 1) * SH, BH * sizeof(REAL));
    for (int e = T, t0; e > 0; e = t0) {
        t0 = e > KML_CELL_CHUNK ? e - KML_CELL_CHUNK : 0;
        for (int t = e - 1; t >= t0; t--) {
            const size_t k = (size_t)(t - t0);
            j->step(&c, &s, t, dh, dh2, dax + k * SG, dah + k * SG);
            if (t > 0) {
                rec_bwd(&c, dah + k * SG, dhu1 + k * SU, dh2);
                step_back(&dh, &dh2, dHs + (size_t)(t - 1) * SH, BH);
                if (c.dh_clip > 0) clip_rows(dh, B, H, c.dh_clip);
            }
        }
        kml_workers_sync(&j->wk);
        if (w == 0)
            flush_w(F, j->Gp, j->X, j->cache + L->xw1, t0, e - t0, sc + L->dax, sc + L->dxw1);
        if (w == (n > 1 ? 1 : 0))
            flush_u(F, j->Gp, j->Hs, j->cache + L->hu1, t0, e - t0, sc + L->dah, sc + L->dhu1);
        kml_workers_sync(&j->wk);
    }
}

/* s: region bases, scalars, and the bias-gradient tensors in gb/gb2 (NULL where the cell has none).
 * On return s->sum1, s->sum2 hold the scalar sums. */
static void bptt(cell_ctx *c, REAL *const *Gp, const REAL *X, int T, const REAL *cache,
                 const kml_cell_layout *L, const REAL *Hs, const REAL *dHs, REAL *scratch, cell_bwd *s,
                 bwd_step_fn step)
{
    prepare_ut(c, scratch + L->ut);
    memset(scratch + L->zero, 0, (size_t)c->S * c->H * sizeof(REAL));
    bptt_job j = {.full = c, .Gp = Gp, .X = X, .cache = cache, .Hs = Hs, .dHs = dHs, .scratch = scratch,
                  .L = L, .T = T, .tmpl = s, .step = step, .wk = {.n = 1}};
    const int nw = kml_cell_workers(c->S), blas = kml_cell_blas_hold(nw);
    kml_workers_run(&j.wk, nw, bptt_worker, &j);
    kml_cell_blas_release(blas);
    /* the workers' shares, in worker order (deterministic for a given worker count) */
    const int n = j.wk.n;
    s->sum1 = s->sum2 = 0;
    for (int w = 0; w < n; w++) {
        const REAL *wk = scratch + L->wk + (size_t)w * L->wk_size;
        for (int q = 0; q < c->H; q++) {
            s->sum1 += wk[L->wk_acc + q];
            s->sum2 += wk[L->wk_acc + c->H + q];
        }
        if (s->gb) add_bias_row(c->GH, wk + L->wk_gb, s->gb);
        if (s->gb2) add_bias_row(c->GH, wk + L->wk_gb2, s->gb2);
    }
}
