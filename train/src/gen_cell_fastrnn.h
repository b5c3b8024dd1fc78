/* gen_cell_fastrnn.h: generic body (REAL = float or double), included by cells_f32.c / cells_f64.c.
 * FastRNN (SPEC §1), f = update_nl:
 *   c_t = f(x_t·W + h_{t-1}·U + b)
 *   h_t = σ(β)·h_{t-1} + σ(α)·c_t
 * Cache: a = c [T][S][H] (x·W already there from proj_x). A worker runs rows b0 .. b0+B-1.
 * Elementwise work is in row functions with restrict parameters (vectorised). */

KML_VEC_CLONES static void fastrnn_h(size_t n, REAL sa, REAL sb, const REAL *restrict hp, const REAL *restrict c,
                      REAL *restrict h)
{
    for (size_t k = 0; k < n; k++) h[k] = sb * hp[k] + sa * c[k];
}

static void fastrnn_forward(const cell_ctx *c, int T, REAL *cache, const kml_cell_layout *L, REAL *Hs, int b0)
{
    const int B = c->B, H = c->H;
    const size_t SH = (size_t)c->S * H, BH = (size_t)B * H, SU = (size_t)c->S * c->rU;
    const REAL sa = nl_sigm(c->P[KML_P_ALPHA][0]), sb = nl_sigm(c->P[KML_P_BETA][0]);
    REAL *C = cache + L->a + (size_t)b0 * H, *hu1 = cache + L->hu1 + (size_t)b0 * c->rU;
    Hs += (size_t)b0 * H;
    for (int t = 0; t < T; t++) {
        REAL *ct = C + t * SH, *ht = Hs + t * SH;
        if (t) rec_fwd(c, Hs + (t - 1) * SH, hu1 + t * SU, 1, ct);
        add_bias_rows(B, H, c->P[KML_P_B], ct);
        nl_vec(c->cfg->update_nl, ct, BH);
        if (t)
            fastrnn_h(BH, sa, sb, Hs + (t - 1) * SH, ct, ht);
        else
            scale_vec(BH, sa, ct, ht);
    }
}

KML_VEC_CLONES static void fastrnn_row_back(int H, REAL sa, REAL sb, const REAL *restrict dh, const REAL *restrict ct,
                             const REAL *restrict hp, const REAL *restrict df, REAL *restrict dax,
                             REAL *restrict dh2, REAL *restrict acc_a, REAL *restrict acc_b, REAL *restrict gb)
{
    for (int j = 0; j < H; j++) {
        const REAL g = dh[j];
        acc_a[j] += g * ct[j];
        acc_b[j] += g * hp[j];
        const REAL d = g * sa * df[j];
        dax[j] = d;
        gb[j] += d;
        dh2[j] = sb * g;
    }
}

static void fastrnn_step_back(const cell_ctx *c, cell_bwd *s, int t, const REAL *dh, REAL *dh2, REAL *dax,
                              REAL *dah)
{
    (void)dah; /* = dax */
    const int B = c->B, H = c->H;
    const size_t SH = (size_t)c->S * H;
    const REAL *ct = s->a + t * SH, *hp = t ? s->Hs + (t - 1) * SH : s->zero;
    for (int i = 0; i < B; i++) {
        const size_t o = (size_t)i * H;
        nl_dvec(c->cfg->update_nl, ct + o, s->dv, (size_t)H);
        fastrnn_row_back(H, s->s1, s->s2, dh + o, ct + o, hp + o, s->dv, dax + o, dh2 + o, s->acc1, s->acc2,
                         s->gb);
    }
}

static void fastrnn_backward(cell_ctx *c, REAL *const *Gp, const REAL *X, int T, const REAL *cache,
                             const kml_cell_layout *L, const REAL *Hs, const REAL *dHs, REAL *scratch)
{
    cell_bwd s = {0};
    s.a = cache + L->a;
    s.s1 = nl_sigm(c->P[KML_P_ALPHA][0]);
    s.s2 = nl_sigm(c->P[KML_P_BETA][0]);
    s.gb = Gp[KML_P_B];
    bptt(c, Gp, X, T, cache, L, Hs, dHs, scratch, &s, fastrnn_step_back);
    Gp[KML_P_ALPHA][0] += (REAL)(s.sum1 * s.s1 * (1 - s.s1));
    Gp[KML_P_BETA][0] += (REAL)(s.sum2 * s.s2 * (1 - s.s2));
}
