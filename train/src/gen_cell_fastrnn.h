/* gen_cell_fastrnn.h: generic body (REAL = float or double), included by cells_f32.c / cells_f64.c.
 * FastRNN (SPEC §1), f = update_nl:
 *   c_t = f(x_t·W + h_{t-1}·U + b)
 *   h_t = σ(β)·h_{t-1} + σ(α)·c_t
 * Cache: a = c [T][B][H]. */

static void fastrnn_forward(const cell_ctx *c, const REAL *X, int T, REAL *cache, const kml_cell_layout *L,
                            REAL *Hs)
{
    const int B = c->B, H = c->H;
    const size_t BH = (size_t)B * H;
    const kml_nonlin f = c->cfg->update_nl;
    const REAL *b = c->P[KML_P_B];
    const REAL sa = nl_sigm(c->P[KML_P_ALPHA][0]), sb = nl_sigm(c->P[KML_P_BETA][0]);
    REAL *C = cache + L->a, *hu1 = cache + L->hu1;
    proj_x(c, X, T * B, cache + L->xw1, C);
    for (int t = 0; t < T; t++) {
        REAL *restrict ct = C + t * BH, *restrict ht = Hs + t * BH;
        const REAL *restrict hp = t ? Hs + (t - 1) * BH : NULL;
        if (hp) rec_fwd(c, hp, hu1 + (size_t)t * B * c->rU, 1, ct);
        for (int i = 0; i < B; i++)
            for (int j = 0; j < H; j++) ct[i * H + j] += b[j];
        nl_vec(f, ct, BH);
        if (hp)
            for (size_t i = 0; i < BH; i++) ht[i] = sb * hp[i] + sa * ct[i];
        else
            for (size_t i = 0; i < BH; i++) ht[i] = sa * ct[i];
    }
}

static void fastrnn_step_back(const cell_ctx *c, cell_bwd *s, int t, const REAL *restrict dh,
                              REAL *restrict dh2, REAL *restrict dax, REAL *restrict dah)
{
    (void)dah; /* = dax */
    const int B = c->B, H = c->H;
    const size_t BH = (size_t)B * H;
    const kml_nonlin f = c->cfg->update_nl;
    const REAL *restrict ct = s->a + t * BH;
    const REAL *restrict hp = t ? s->Hs + (t - 1) * BH : NULL;
    const REAL sa = s->s1, sb = s->s2;
    REAL *restrict gb = s->gb;
    double acc_a = 0, acc_b = 0;
    for (int i = 0; i < B; i++)
        for (int j = 0; j < H; j++) {
            const size_t k = (size_t)i * H + j;
            const REAL g = dh[k], cv = ct[k];
            acc_a += g * cv;
            if (hp) acc_b += g * hp[k];
            const REAL d = g * sa * nl_d(f, cv);
            dax[k] = d;
            gb[j] += d;
            dh2[k] = sb * g;
        }
    s->acc1 += acc_a;
    s->acc2 += acc_b;
}

static void fastrnn_backward(const cell_ctx *c, REAL *const *Gp, const REAL *X, int T, const REAL *cache,
                             const kml_cell_layout *L, const REAL *Hs, const REAL *dHs, REAL *scratch)
{
    cell_bwd s = {0};
    s.a = cache + L->a;
    s.Hs = Hs;
    s.s1 = nl_sigm(c->P[KML_P_ALPHA][0]);
    s.s2 = nl_sigm(c->P[KML_P_BETA][0]);
    s.gb = Gp[KML_P_B];
    bptt(c, Gp, X, T, cache, L, Hs, dHs, scratch, &s, fastrnn_step_back);
    Gp[KML_P_ALPHA][0] += (REAL)(s.acc1 * s.s1 * (1 - s.s1));
    Gp[KML_P_BETA][0] += (REAL)(s.acc2 * s.s2 * (1 - s.s2));
}
