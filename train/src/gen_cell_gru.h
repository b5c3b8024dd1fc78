/* gen_cell_gru.h: generic body (REAL = float or double), included by cells_f32.c / cells_f64.c.
 * GRU with PyTorch's equations (blocks r, z, n along G·H), g = gate_nl, f = update_nl:
 *   r_t = g(x_t·W_r + b_r + h_{t-1}·U_r + b_ur)
 *   z_t = g(x_t·W_z + b_z + h_{t-1}·U_z + b_uz)
 *   n_t = f(x_t·W_n + b_n + r_t ⊙ (h_{t-1}·U_n + b_un))
 *   h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1}
 * Cache: a = r|z|n [T][B][3H], c2 = h_{t-1}·U_n + b_un [T][B][H], tmp = h·U of one step.
 * The x-side and h-side pre-activation gradients differ in the n block (r multiplies the h side). */

KML_VEC_CLONES static void gru_row_fwd(int H, kml_nonlin g, kml_nonlin f, const REAL *restrict b, const REAL *restrict bu,
                        const REAL *restrict u, const REAL *restrict hp, REAL *restrict row, REAL *restrict hn,
                        REAL *restrict h)
{
    for (int j = 0; j < 2 * H; j++) row[j] += b[j] + u[j] + bu[j];
    for (int j = 0; j < H; j++) hn[j] = u[2 * H + j] + bu[2 * H + j];
    nl_vec(g, row, (size_t)2 * H);
    for (int j = 0; j < H; j++) row[2 * H + j] += b[2 * H + j] + row[j] * hn[j];
    nl_vec(f, row + 2 * H, (size_t)H);
    for (int j = 0; j < H; j++) h[j] = (1 - row[H + j]) * row[2 * H + j] + row[H + j] * hp[j];
}

static void gru_forward(const cell_ctx *c, int T, REAL *cache, const kml_cell_layout *L, REAL *Hs, int b0)
{
    const int B = c->B, H = c->H, GH = c->GH;
    const size_t SH = (size_t)c->S * H, SG = (size_t)c->S * GH, SU = (size_t)c->S * c->rU;
    REAL *Gt = cache + L->a + (size_t)b0 * GH, *Hn = cache + L->c2 + (size_t)b0 * H;
    REAL *tmp = cache + L->tmp + (size_t)b0 * GH, *hu1 = cache + L->hu1 + (size_t)b0 * c->rU;
    Hs += (size_t)b0 * H;
    for (int t = 0; t < T; t++) {
        const REAL *hp;
        size_t hstride;
        if (t) {
            rec_fwd(c, Hs + (t - 1) * SH, hu1 + t * SU, 0, tmp);
            hp = Hs + (t - 1) * SH;
            hstride = (size_t)H;
        } else {
            memset(tmp, 0, (size_t)B * GH * sizeof(REAL));
            hp = tmp; /* the first H entries of each zeroed row of tmp stand for h_{-1} = 0 */
            hstride = (size_t)GH;
        }
        for (int i = 0; i < B; i++)
            gru_row_fwd(H, c->cfg->gate_nl, c->cfg->update_nl, c->P[KML_P_B], c->P[KML_P_BU], tmp + (size_t)i * GH,
                        hp + i * hstride, Gt + t * SG + (size_t)i * GH, Hn + t * SH + (size_t)i * H,
                        Hs + t * SH + (size_t)i * H);
    }
}

KML_VEC_CLONES static void gru_row_back(int H, const REAL *restrict dh, const REAL *restrict row, const REAL *restrict dv,
                         const REAL *restrict hn, const REAL *restrict hp, REAL *restrict ax, REAL *restrict ah,
                         REAL *restrict dh2)
{
    for (int j = 0; j < H; j++) {
        const REAL d = dh[j], r = row[j], z = row[H + j], n = row[2 * H + j];
        const REAL dn = d * (1 - z) * dv[2 * H + j];
        const REAL dr = dn * hn[j] * dv[j];
        const REAL dz = d * (hp[j] - n) * dv[H + j];
        ax[j] = dr;
        ah[j] = dr;
        ax[H + j] = dz;
        ah[H + j] = dz;
        ax[2 * H + j] = dn;
        ah[2 * H + j] = dn * r;
        dh2[j] = d * z;
    }
}

static void gru_step_back(const cell_ctx *c, cell_bwd *s, int t, const REAL *dh, REAL *dh2, REAL *dax, REAL *dah)
{
    const int B = c->B, H = c->H, GH = c->GH;
    const size_t SH = (size_t)c->S * H;
    const REAL *gt = s->a + (size_t)t * c->S * GH, *hn = s->c2 + t * SH;
    const REAL *hp = t ? s->Hs + (t - 1) * SH : s->zero;
    for (int i = 0; i < B; i++) {
        const size_t o = (size_t)i * H, og = (size_t)i * GH;
        nl_dvec(c->cfg->gate_nl, gt + og, s->dv, (size_t)2 * H);
        nl_dvec(c->cfg->update_nl, gt + og + 2 * H, s->dv + 2 * H, (size_t)H);
        gru_row_back(H, dh + o, gt + og, s->dv, hn + o, hp + o, dax + og, dah + og, dh2 + o);
        add_bias_row(GH, dax + og, s->gb);
        add_bias_row(GH, dah + og, s->gb2);
    }
}

static void gru_backward(cell_ctx *c, REAL *const *Gp, const REAL *X, int T, const REAL *cache,
                         const kml_cell_layout *L, const REAL *Hs, const REAL *dHs, REAL *scratch)
{
    cell_bwd s = {0};
    s.a = cache + L->a;
    s.c2 = cache + L->c2;
    s.gb = Gp[KML_P_B];
    s.gb2 = Gp[KML_P_BU];
    bptt(c, Gp, X, T, cache, L, Hs, dHs, scratch, &s, gru_step_back);
}
