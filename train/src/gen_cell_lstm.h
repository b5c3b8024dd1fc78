/* gen_cell_lstm.h: generic body (REAL = float or double), included by cells_f32.c / cells_f64.c.
 * LSTM with PyTorch's gate order i, f, g, o along G·H; σ = gate_nl, φ = update_nl (tanh by
 * default; it is used for both the candidate g and the cell output, so the PWL forms make the
 * whole cell integer-friendly):
 *   [i f g o] = [σ σ φ σ](x_t·W + h_{t-1}·U + b)
 *   c_t = f ⊙ c_{t-1} + i ⊙ g,   h_t = o ⊙ φ(c_t)          (c_0 = 0)
 * Cache: a = i|f|g|o [T][B][4H], c2 = c [T][B][H], c3 = φ(c) [T][B][H], tmp = [B][H] zeros. */

KML_VEC_CLONES static void lstm_row_fwd(int H, kml_nonlin sg, kml_nonlin ph, const REAL *restrict b, const REAL *restrict cp,
                         REAL *restrict row, REAL *restrict c, REAL *restrict tc, REAL *restrict h)
{
    for (int j = 0; j < 4 * H; j++) row[j] += b[j];
    nl_vec(sg, row, (size_t)2 * H);
    nl_vec(ph, row + 2 * H, (size_t)H);
    nl_vec(sg, row + 3 * H, (size_t)H);
    for (int j = 0; j < H; j++) {
        c[j] = row[H + j] * cp[j] + row[j] * row[2 * H + j];
        tc[j] = c[j];
    }
    nl_vec(ph, tc, (size_t)H);
    for (int j = 0; j < H; j++) h[j] = row[3 * H + j] * tc[j];
}

static void lstm_forward(const cell_ctx *c, int T, REAL *cache, const kml_cell_layout *L, REAL *Hs, int b0)
{
    const int B = c->B, H = c->H, GH = c->GH;
    const size_t SH = (size_t)c->S * H, SG = (size_t)c->S * GH, SU = (size_t)c->S * c->rU;
    REAL *Gt = cache + L->a + (size_t)b0 * GH, *Cs = cache + L->c2 + (size_t)b0 * H;
    REAL *Tc = cache + L->c3 + (size_t)b0 * H, *hu1 = cache + L->hu1 + (size_t)b0 * c->rU;
    REAL *zero = cache + L->tmp + (size_t)b0 * H;
    Hs += (size_t)b0 * H;
    memset(zero, 0, (size_t)B * H * sizeof(REAL));
    for (int t = 0; t < T; t++) {
        const REAL *cp = t ? Cs + (t - 1) * SH : zero;
        if (t) rec_fwd(c, Hs + (t - 1) * SH, hu1 + t * SU, 1, Gt + t * SG);
        for (int i = 0; i < B; i++) {
            const size_t o = (size_t)i * H;
            lstm_row_fwd(H, c->cfg->gate_nl, c->cfg->update_nl, c->P[KML_P_B], cp + o, Gt + t * SG + (size_t)i * GH,
                         Cs + t * SH + o, Tc + t * SH + o, Hs + t * SH + o);
        }
    }
}

KML_VEC_CLONES static void lstm_row_back(int H, const REAL *restrict dh, const REAL *restrict row, const REAL *restrict dv,
                          const REAL *restrict tc, const REAL *restrict dt, const REAL *restrict cp,
                          REAL *restrict dc, REAL *restrict ax, REAL *restrict dh2)
{
    for (int j = 0; j < H; j++) {
        const REAL d = dh[j];
        const REAL dct = dc[j] + d * row[3 * H + j] * dt[j];
        ax[j] = dct * row[2 * H + j] * dv[j];
        ax[H + j] = dct * cp[j] * dv[H + j];
        ax[2 * H + j] = dct * row[j] * dv[2 * H + j];
        ax[3 * H + j] = d * tc[j] * dv[3 * H + j];
        dc[j] = dct * row[H + j];
        dh2[j] = 0;
    }
}

static void lstm_step_back(const cell_ctx *c, cell_bwd *s, int t, const REAL *dh, REAL *dh2, REAL *dax,
                           REAL *dah)
{
    (void)dah; /* = dax */
    const int B = c->B, H = c->H, GH = c->GH;
    const size_t SH = (size_t)c->S * H;
    const kml_nonlin sg = c->cfg->gate_nl, ph = c->cfg->update_nl;
    const REAL *gt = s->a + (size_t)t * c->S * GH, *tc = s->c3 + t * SH;
    const REAL *cp = t ? s->c2 + (t - 1) * SH : s->zero;
    REAL *dv = s->dv, *dt = s->dv + GH;
    nl_dvec(ph, tc, dt, (size_t)B * H);
    for (int i = 0; i < B; i++) {
        const size_t o = (size_t)i * H, og = (size_t)i * GH;
        nl_dvec(sg, gt + og, dv, (size_t)2 * H);
        nl_dvec(ph, gt + og + 2 * H, dv + 2 * H, (size_t)H);
        nl_dvec(sg, gt + og + 3 * H, dv + 3 * H, (size_t)H);
        lstm_row_back(H, dh + o, gt + og, dv, tc + o, dt + o, cp + o, s->dc + o, dax + og, dh2 + o);
        add_bias_row(GH, dax + og, s->gb);
    }
}

static void lstm_backward(cell_ctx *c, REAL *const *Gp, const REAL *X, int T, const REAL *cache,
                          const kml_cell_layout *L, const REAL *Hs, const REAL *dHs, REAL *scratch)
{
    cell_bwd s = {0};
    s.a = cache + L->a;
    s.c2 = cache + L->c2;
    s.c3 = cache + L->c3;
    s.dc = scratch + L->dc;
    s.gb = Gp[KML_P_B];
    memset(s.dc, 0, (size_t)c->S * c->H * sizeof(REAL));
    bptt(c, Gp, X, T, cache, L, Hs, dHs, scratch, &s, lstm_step_back);
}
