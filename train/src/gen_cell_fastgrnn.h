/* gen_cell_fastgrnn.h: generic body (REAL = float or double), included by cells_f32.c / cells_f64.c.
 * FastGRNN (SPEC §1), g = gate_nl, f = update_nl:
 *   a_t = x_t·W + h_{t-1}·U               (once, shared by gate and candidate)
 *   z_t = g(a_t + b_g),  c_t = f(a_t + b_h)
 *   h_t = z_t ⊙ h_{t-1} + (σ(ζ)(1 − z_t) + σ(ν)) ⊙ c_t
 * Cache: a = z [T][B][H], c2 = c [T][B][H]. */

static void fastgrnn_forward(const cell_ctx *c, const REAL *X, int T, REAL *cache, const kml_cell_layout *L,
                             REAL *Hs)
{
    const int B = c->B, H = c->H;
    const size_t BH = (size_t)B * H;
    const kml_nonlin g = c->cfg->gate_nl, f = c->cfg->update_nl;
    const REAL *bg = c->P[KML_P_BG], *bh = c->P[KML_P_BH];
    const REAL sz = nl_sigm(c->P[KML_P_ZETA][0]), sn = nl_sigm(c->P[KML_P_NU][0]);
    REAL *Z = cache + L->a, *Cc = cache + L->c2, *hu1 = cache + L->hu1;
    proj_x(c, X, T * B, cache + L->xw1, Z);
    for (int t = 0; t < T; t++) {
        REAL *restrict zt = Z + t * BH, *restrict ct = Cc + t * BH, *restrict ht = Hs + t * BH;
        const REAL *restrict hp = t ? Hs + (t - 1) * BH : NULL;
        if (hp) rec_fwd(c, hp, hu1 + (size_t)t * B * c->rU, 1, zt);
        for (int i = 0; i < B; i++)
            for (int j = 0; j < H; j++) {
                const size_t k = (size_t)i * H + j;
                const REAL a = zt[k];
                ct[k] = a + bh[j];
                zt[k] = a + bg[j];
            }
        nl_vec(f, ct, BH);
        nl_vec(g, zt, BH);
        if (hp)
            for (size_t k = 0; k < BH; k++) ht[k] = zt[k] * hp[k] + (sz * (1 - zt[k]) + sn) * ct[k];
        else
            for (size_t k = 0; k < BH; k++) ht[k] = (sz * (1 - zt[k]) + sn) * ct[k];
    }
}

static void fastgrnn_step_back(const cell_ctx *c, cell_bwd *s, int t, const REAL *restrict dh,
                               REAL *restrict dh2, REAL *restrict dax, REAL *restrict dah)
{
    (void)dah; /* = dax */
    const int B = c->B, H = c->H;
    const size_t BH = (size_t)B * H;
    const kml_nonlin g = c->cfg->gate_nl, f = c->cfg->update_nl;
    const REAL *restrict zt = s->a + t * BH, *restrict ct = s->c2 + t * BH;
    const REAL *restrict hp = t ? s->Hs + (t - 1) * BH : NULL;
    const REAL sz = s->s1, sn = s->s2;
    REAL *restrict gbg = s->gb, *restrict gbh = s->gb2;
    double acc_z = 0, acc_n = 0;
    for (int i = 0; i < B; i++)
        for (int j = 0; j < H; j++) {
            const size_t k = (size_t)i * H + j;
            const REAL d = dh[k], z = zt[k], cv = ct[k], h = hp ? hp[k] : (REAL)0;
            const REAL dc = d * cv;
            acc_z += dc * (1 - z);
            acc_n += dc;
            const REAL dag = d * (h - sz * cv) * nl_d(g, z);
            const REAL dah_ = d * (sz * (1 - z) + sn) * nl_d(f, cv);
            gbg[j] += dag;
            gbh[j] += dah_;
            dax[k] = dag + dah_;
            dh2[k] = d * z;
        }
    s->acc1 += acc_z;
    s->acc2 += acc_n;
}

static void fastgrnn_backward(const cell_ctx *c, REAL *const *Gp, const REAL *X, int T, const REAL *cache,
                              const kml_cell_layout *L, const REAL *Hs, const REAL *dHs, REAL *scratch)
{
    cell_bwd s = {0};
    s.a = cache + L->a;
    s.c2 = cache + L->c2;
    s.Hs = Hs;
    s.s1 = nl_sigm(c->P[KML_P_ZETA][0]);
    s.s2 = nl_sigm(c->P[KML_P_NU][0]);
    s.gb = Gp[KML_P_BG];
    s.gb2 = Gp[KML_P_BH];
    bptt(c, Gp, X, T, cache, L, Hs, dHs, scratch, &s, fastgrnn_step_back);
    Gp[KML_P_ZETA][0] += (REAL)(s.acc1 * s.s1 * (1 - s.s1));
    Gp[KML_P_NU][0] += (REAL)(s.acc2 * s.s2 * (1 - s.s2));
}
