/* gen_cell_fastgrnn.h: generic body (REAL = float or double), included by cells_f32.c / cells_f64.c.
 * FastGRNN (SPEC §1), g = gate_nl, f = update_nl:
 *   a_t = x_t·W + h_{t-1}·U               (once, shared by gate and candidate)
 *   z_t = g(a_t + b_g),  c_t = f(a_t + b_h)
 *   h_t = z_t ⊙ h_{t-1} + (σ(ζ)(1 − z_t) + σ(ν)) ⊙ c_t
 * Cache: a = z [T][S][H] (x·W already there from proj_x), c2 = c [T][S][H]. A worker runs rows
 * b0 .. b0+B-1. Row functions take restrict parameters (vectorised). */

KML_VEC_CLONES static void fastgrnn_row_pre(int H, const REAL *restrict bg, const REAL *restrict bh, REAL *restrict z,
                             REAL *restrict c)
{
    for (int j = 0; j < H; j++) {
        const REAL a = z[j];
        c[j] = a + bh[j];
        z[j] = a + bg[j];
    }
}

KML_VEC_CLONES static void fastgrnn_h(size_t n, REAL sz, REAL sn, const REAL *restrict hp, const REAL *restrict z,
                       const REAL *restrict c, REAL *restrict h)
{
    for (size_t k = 0; k < n; k++) h[k] = z[k] * hp[k] + (sz * (1 - z[k]) + sn) * c[k];
}

KML_VEC_CLONES static void fastgrnn_h0(size_t n, REAL sz, REAL sn, const REAL *restrict z, const REAL *restrict c,
                        REAL *restrict h)
{
    for (size_t k = 0; k < n; k++) h[k] = (sz * (1 - z[k]) + sn) * c[k];
}

static void fastgrnn_forward(const cell_ctx *c, int T, REAL *cache, const kml_cell_layout *L, REAL *Hs, int b0)
{
    const int B = c->B, H = c->H;
    const size_t SH = (size_t)c->S * H, BH = (size_t)B * H, SU = (size_t)c->S * c->rU;
    const REAL sz = nl_sigm(c->P[KML_P_ZETA][0]), sn = nl_sigm(c->P[KML_P_NU][0]);
    REAL *Z = cache + L->a + (size_t)b0 * H, *Cc = cache + L->c2 + (size_t)b0 * H;
    REAL *hu1 = cache + L->hu1 + (size_t)b0 * c->rU;
    Hs += (size_t)b0 * H;
    for (int t = 0; t < T; t++) {
        REAL *zt = Z + t * SH, *ct = Cc + t * SH, *ht = Hs + t * SH;
        if (t) rec_fwd(c, Hs + (t - 1) * SH, hu1 + t * SU, 1, zt);
        for (int i = 0; i < B; i++)
            fastgrnn_row_pre(H, c->P[KML_P_BG], c->P[KML_P_BH], zt + (size_t)i * H, ct + (size_t)i * H);
        nl_vec(c->cfg->update_nl, ct, BH);
        nl_vec(c->cfg->gate_nl, zt, BH);
        if (t)
            fastgrnn_h(BH, sz, sn, Hs + (t - 1) * SH, zt, ct, ht);
        else
            fastgrnn_h0(BH, sz, sn, zt, ct, ht);
    }
}

KML_VEC_CLONES static void fastgrnn_row_back(int H, REAL sz, REAL sn, const REAL *restrict dh, const REAL *restrict z,
                              const REAL *restrict cv, const REAL *restrict hp, const REAL *restrict dg,
                              const REAL *restrict df, REAL *restrict dax, REAL *restrict dh2,
                              REAL *restrict acc_z, REAL *restrict acc_n, REAL *restrict gbg,
                              REAL *restrict gbh)
{
    for (int j = 0; j < H; j++) {
        const REAL d = dh[j], dc = d * cv[j];
        acc_z[j] += dc * (1 - z[j]);
        acc_n[j] += dc;
        const REAL dag = d * (hp[j] - sz * cv[j]) * dg[j];
        const REAL dah = d * (sz * (1 - z[j]) + sn) * df[j];
        gbg[j] += dag;
        gbh[j] += dah;
        dax[j] = dag + dah;
        dh2[j] = d * z[j];
    }
}

static void fastgrnn_step_back(const cell_ctx *c, cell_bwd *s, int t, const REAL *dh, REAL *dh2, REAL *dax,
                               REAL *dah)
{
    (void)dah; /* = dax */
    const int B = c->B, H = c->H;
    const size_t SH = (size_t)c->S * H;
    const REAL *zt = s->a + t * SH, *ct = s->c2 + t * SH, *hp = t ? s->Hs + (t - 1) * SH : s->zero;
    REAL *dg = s->dv, *df = s->dv + H;
    for (int i = 0; i < B; i++) {
        const size_t o = (size_t)i * H;
        nl_dvec(c->cfg->gate_nl, zt + o, dg, (size_t)H);
        nl_dvec(c->cfg->update_nl, ct + o, df, (size_t)H);
        fastgrnn_row_back(H, s->s1, s->s2, dh + o, zt + o, ct + o, hp + o, dg, df, dax + o, dh2 + o,
                          s->acc1, s->acc2, s->gb, s->gb2);
    }
}

static void fastgrnn_backward(cell_ctx *c, REAL *const *Gp, const REAL *X, int T, const REAL *cache,
                              const kml_cell_layout *L, const REAL *Hs, const REAL *dHs, REAL *scratch)
{
    cell_bwd s = {0};
    s.a = cache + L->a;
    s.c2 = cache + L->c2;
    s.s1 = nl_sigm(c->P[KML_P_ZETA][0]);
    s.s2 = nl_sigm(c->P[KML_P_NU][0]);
    s.gb = Gp[KML_P_BG];
    s.gb2 = Gp[KML_P_BH];
    bptt(c, Gp, X, T, cache, L, Hs, dHs, scratch, &s, fastgrnn_step_back);
    Gp[KML_P_ZETA][0] += (REAL)(s.sum1 * s.s1 * (1 - s.s1));
    Gp[KML_P_NU][0] += (REAL)(s.sum2 * s.s2 * (1 - s.s2));
}
