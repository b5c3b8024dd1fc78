/* gen_cell_rnn.h: generic body (REAL = float or double), included by cells_f32.c / cells_f64.c.
 * Plain RNN, f = update_nl (tanh by default):
 *   h_t = f(x_t·W + h_{t-1}·U + b)
 * No cache besides Hs (x·W already there from proj_x): the derivative of f is taken from h_t.
 * A worker runs rows b0 .. b0+B-1. */

static void rnn_forward(const cell_ctx *c, int T, REAL *cache, const kml_cell_layout *L, REAL *Hs, int b0)
{
    const int B = c->B, H = c->H;
    const size_t SH = (size_t)c->S * H, SU = (size_t)c->S * c->rU;
    REAL *hu1 = cache + L->hu1 + (size_t)b0 * c->rU;
    Hs += (size_t)b0 * H;
    for (int t = 0; t < T; t++) {
        REAL *ht = Hs + t * SH;
        if (t) rec_fwd(c, Hs + (t - 1) * SH, hu1 + t * SU, 1, ht);
        add_bias_rows(B, H, c->P[KML_P_B], ht);
        nl_vec(c->cfg->update_nl, ht, (size_t)B * H);
    }
}

KML_VEC_CLONES static void rnn_row_back(int H, const REAL *restrict dh, const REAL *restrict df, REAL *restrict dax,
                         REAL *restrict dh2, REAL *restrict gb)
{
    for (int j = 0; j < H; j++) {
        const REAL d = dh[j] * df[j];
        dax[j] = d;
        gb[j] += d;
        dh2[j] = 0;
    }
}

static void rnn_step_back(const cell_ctx *c, cell_bwd *s, int t, const REAL *dh, REAL *dh2, REAL *dax, REAL *dah)
{
    (void)dah; /* = dax */
    const int B = c->B, H = c->H;
    const REAL *ht = s->Hs + (size_t)t * c->S * H;
    for (int i = 0; i < B; i++) {
        const size_t o = (size_t)i * H;
        nl_dvec(c->cfg->update_nl, ht + o, s->dv, (size_t)H);
        rnn_row_back(H, dh + o, s->dv, dax + o, dh2 + o, s->gb);
    }
}

static void rnn_backward(cell_ctx *c, REAL *const *Gp, const REAL *X, int T, const REAL *cache,
                         const kml_cell_layout *L, const REAL *Hs, const REAL *dHs, REAL *scratch)
{
    cell_bwd s = {0};
    s.gb = Gp[KML_P_B];
    bptt(c, Gp, X, T, cache, L, Hs, dHs, scratch, &s, rnn_step_back);
}
