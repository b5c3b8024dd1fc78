/* gen_cell_bptt.h: generic body (REAL = float or double), included by cells_f32.c / cells_f64.c.
 * The backward-through-time walk every cell shares. Each cell supplies one elementwise step:
 * from dh = dLoss/dh_t it writes the gradient of the x-side pre-activation (dax), of the h-side
 * pre-activation (dah; the same array except for GRU) and the direct part of dLoss/dh_{t-1} (dh2).
 * The walk adds dah·Uᵀ to dh2, adds dHs[t-1], and every KML_CELL_CHUNK steps accumulates
 * dW and dU over the chunk with one gemm each (flush). */

typedef struct cell_bwd {
    const REAL *a, *c2, *c3, *Hs; /* cache regions (cell_layout.h) and the hidden states */
    REAL *dc;                     /* LSTM: running dLoss/dc */
    REAL *dv;                     /* [B][G·H+H] derivatives of the nonlinearities at one step */
    REAL *acc1, *acc2;            /* [H] per-unit sums of dLoss/dσ(·) for the cell's two scalars */
    const REAL *zero;             /* [B][H] zeros, standing for h_{-1} and c_{-1} */
    REAL s1, s2;                  /* σ(α), σ(β) (FastRNN) or σ(ζ), σ(ν) (FastGRNN) */
    REAL *gb, *gb2;               /* bias gradients (b or b_g; b_u or b_h) */
} cell_bwd;

typedef void (*bwd_step_fn)(const cell_ctx *c, cell_bwd *s, int t, const REAL *restrict dh,
                            REAL *restrict dh2, REAL *restrict dax, REAL *restrict dah);

static void bptt(cell_ctx *c, REAL *const *Gp, const REAL *X, int T, const REAL *cache,
                 const kml_cell_layout *L, const REAL *Hs, const REAL *dHs, REAL *scratch, cell_bwd *s,
                 bwd_step_fn step)
{
    const size_t BH = (size_t)c->B * c->H, BG = (size_t)c->B * c->GH, BU = (size_t)c->B * c->rU;
    REAL *dh = scratch + L->dh, *dh2 = scratch + L->dh2;
    REAL *dax = scratch + L->dax, *dah = scratch + L->dah;
    REAL *dhu1 = scratch + L->dhu1, *dxw1 = scratch + L->dxw1;
    prepare_ut(c, scratch + L->ut);
    s->dv = scratch + L->dv;
    s->acc1 = scratch + L->acc;
    s->acc2 = scratch + L->acc + c->H;
    s->zero = scratch + L->zero;
    memset(scratch + L->acc, 0, 2 * (size_t)c->H * sizeof(REAL));
    memset(scratch + L->zero, 0, BH * sizeof(REAL));
    memcpy(dh, dHs + (size_t)(T - 1) * BH, BH * sizeof(REAL));
    for (int e = T, t0; e > 0; e = t0) {
        t0 = e > KML_CELL_CHUNK ? e - KML_CELL_CHUNK : 0;
        for (int t = e - 1; t >= t0; t--) {
            const size_t k = (size_t)(t - t0);
            step(c, s, t, dh, dh2, dax + k * BG, dah + k * BG);
            if (t > 0) {
                rec_bwd(c, dah + k * BG, dhu1 + k * BU, dh2);
                step_back(&dh, &dh2, dHs + (size_t)(t - 1) * BH, BH);
            }
        }
        flush(c, Gp, X, Hs, cache + L->xw1, cache + L->hu1, t0, e - t0, dax, dah, dhu1, dxw1);
    }
}

static double sum_h(const REAL *v, int H)
{
    double s = 0;
    for (int j = 0; j < H; j++) s += v[j];
    return s;
}
