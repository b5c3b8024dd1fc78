/* gen_cell_lstm.h: generic body (REAL = float or double), included by cells_f32.c / cells_f64.c.
 * LSTM with PyTorch's gate order i, f, g, o along G·H; σ = gate_nl, φ = update_nl (tanh by
 * default; it is used for both the candidate g and the cell output, so the PWL forms make the
 * whole cell integer-friendly):
 *   [i f g o] = [σ σ φ σ](x_t·W + h_{t-1}·U + b)
 *   c_t = f ⊙ c_{t-1} + i ⊙ g,   h_t = o ⊙ φ(c_t)          (c_0 = 0)
 * Cache: a = i|f|g|o [T][B][4H], c2 = c [T][B][H], c3 = φ(c) [T][B][H]. */

static void lstm_forward(const cell_ctx *c, const REAL *X, int T, REAL *cache, const kml_cell_layout *L,
                         REAL *Hs)
{
    const int B = c->B, H = c->H, GH = c->GH;
    const size_t BH = (size_t)B * H, BG = (size_t)B * GH;
    const kml_nonlin sg = c->cfg->gate_nl, ph = c->cfg->update_nl;
    const REAL *b = c->P[KML_P_B];
    REAL *Gt = cache + L->a, *Cs = cache + L->c2, *Tc = cache + L->c3, *hu1 = cache + L->hu1;
    proj_x(c, X, T * B, cache + L->xw1, Gt);
    for (int t = 0; t < T; t++) {
        REAL *restrict gt = Gt + t * BG, *restrict ct = Cs + t * BH, *restrict tc = Tc + t * BH;
        REAL *restrict ht = Hs + t * BH;
        const REAL *restrict cp = t ? Cs + (t - 1) * BH : NULL;
        if (t) rec_fwd(c, Hs + (t - 1) * BH, hu1 + (size_t)t * B * c->rU, 1, gt);
        for (int i = 0; i < B; i++) {
            REAL *restrict row = gt + (size_t)i * GH;
            for (int j = 0; j < GH; j++) row[j] += b[j];
            nl_vec(sg, row, (size_t)2 * H);
            nl_vec(ph, row + 2 * H, (size_t)H);
            nl_vec(sg, row + 3 * H, (size_t)H);
            for (int j = 0; j < H; j++) {
                const size_t k = (size_t)i * H + j;
                ct[k] = (cp ? row[H + j] * cp[k] : (REAL)0) + row[j] * row[2 * H + j];
                tc[k] = ct[k];
            }
        }
        nl_vec(ph, tc, BH);
        for (int i = 0; i < B; i++)
            for (int j = 0; j < H; j++) ht[(size_t)i * H + j] = gt[(size_t)i * GH + 3 * H + j] * tc[(size_t)i * H + j];
    }
}

static void lstm_step_back(const cell_ctx *c, cell_bwd *s, int t, const REAL *restrict dh, REAL *restrict dh2,
                           REAL *restrict dax, REAL *restrict dah)
{
    (void)dah; /* = dax */
    const int B = c->B, H = c->H, GH = c->GH;
    const size_t BH = (size_t)B * H;
    const kml_nonlin sg = c->cfg->gate_nl, ph = c->cfg->update_nl;
    const REAL *restrict gt = s->a + (size_t)t * B * GH, *restrict tc = s->c3 + t * BH;
    const REAL *restrict cp = t ? s->c2 + (t - 1) * BH : NULL;
    REAL *restrict dc = s->dc, *restrict gb = s->gb;
    for (int i = 0; i < B; i++) {
        const REAL *restrict row = gt + (size_t)i * GH;
        REAL *restrict ax = dax + (size_t)i * GH;
        for (int j = 0; j < H; j++) {
            const size_t k = (size_t)i * H + j;
            const REAL ig = row[j], fg = row[H + j], gg = row[2 * H + j], og = row[3 * H + j];
            const REAL d = dh[k], tck = tc[k];
            const REAL dct = dc[k] + d * og * nl_d(ph, tck);
            ax[j] = dct * gg * nl_d(sg, ig);
            ax[H + j] = (cp ? dct * cp[k] : (REAL)0) * nl_d(sg, fg);
            ax[2 * H + j] = dct * ig * nl_d(ph, gg);
            ax[3 * H + j] = d * tck * nl_d(sg, og);
            dc[k] = dct * fg;
            dh2[k] = 0;
        }
        for (int j = 0; j < GH; j++) gb[j] += ax[j];
    }
}

static void lstm_backward(const cell_ctx *c, REAL *const *Gp, const REAL *X, int T, const REAL *cache,
                          const kml_cell_layout *L, const REAL *Hs, const REAL *dHs, REAL *scratch)
{
    cell_bwd s = {0};
    s.a = cache + L->a;
    s.c2 = cache + L->c2;
    s.c3 = cache + L->c3;
    s.Hs = Hs;
    s.dc = scratch + L->dc;
    s.gb = Gp[KML_P_B];
    memset(s.dc, 0, (size_t)c->B * c->H * sizeof(REAL));
    bptt(c, Gp, X, T, cache, L, Hs, dHs, scratch, &s, lstm_step_back);
}
