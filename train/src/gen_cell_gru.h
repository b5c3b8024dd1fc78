/* gen_cell_gru.h: generic body (REAL = float or double), included by cells_f32.c / cells_f64.c.
 * GRU with PyTorch's equations (blocks r, z, n along G·H), g = gate_nl, f = update_nl:
 *   r_t = g(x_t·W_r + b_r + h_{t-1}·U_r + b_ur)
 *   z_t = g(x_t·W_z + b_z + h_{t-1}·U_z + b_uz)
 *   n_t = f(x_t·W_n + b_n + r_t ⊙ (h_{t-1}·U_n + b_un))
 *   h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1}
 * Cache: a = r|z|n [T][B][3H], c2 = h_{t-1}·U_n + b_un [T][B][H], tmp = h·U of one step.
 * The x-side and h-side pre-activation gradients differ in the n block (r multiplies the h side). */

static void gru_forward(const cell_ctx *c, const REAL *X, int T, REAL *cache, const kml_cell_layout *L,
                        REAL *Hs)
{
    const int B = c->B, H = c->H, GH = c->GH;
    const size_t BH = (size_t)B * H, BG = (size_t)B * GH;
    const kml_nonlin g = c->cfg->gate_nl, f = c->cfg->update_nl;
    const REAL *b = c->P[KML_P_B], *bu = c->P[KML_P_BU];
    REAL *Gt = cache + L->a, *Hn = cache + L->c2, *tmp = cache + L->tmp, *hu1 = cache + L->hu1;
    proj_x(c, X, T * B, cache + L->xw1, Gt);
    for (int t = 0; t < T; t++) {
        REAL *restrict gt = Gt + t * BG, *restrict hn = Hn + t * BH, *restrict ht = Hs + t * BH;
        const REAL *restrict hp = t ? Hs + (t - 1) * BH : NULL;
        if (hp)
            rec_fwd(c, hp, hu1 + (size_t)t * B * c->rU, 0, tmp);
        else
            memset(tmp, 0, BG * sizeof(REAL));
        for (int i = 0; i < B; i++) {
            REAL *restrict row = gt + (size_t)i * GH;
            const REAL *restrict u = tmp + (size_t)i * GH;
            for (int j = 0; j < 2 * H; j++) row[j] += b[j] + u[j] + bu[j];
            for (int j = 0; j < H; j++) hn[(size_t)i * H + j] = u[2 * H + j] + bu[2 * H + j];
            nl_vec(g, row, (size_t)2 * H);
            for (int j = 0; j < H; j++) row[2 * H + j] += b[2 * H + j] + row[j] * hn[(size_t)i * H + j];
            nl_vec(f, row + 2 * H, (size_t)H);
            for (int j = 0; j < H; j++) {
                const REAL z = row[H + j], n = row[2 * H + j], h = hp ? hp[(size_t)i * H + j] : (REAL)0;
                ht[(size_t)i * H + j] = (1 - z) * n + z * h;
            }
        }
    }
}

static void gru_step_back(const cell_ctx *c, cell_bwd *s, int t, const REAL *restrict dh, REAL *restrict dh2,
                          REAL *restrict dax, REAL *restrict dah)
{
    const int B = c->B, H = c->H, GH = c->GH;
    const size_t BH = (size_t)B * H;
    const kml_nonlin g = c->cfg->gate_nl, f = c->cfg->update_nl;
    const REAL *restrict gt = s->a + (size_t)t * B * GH, *restrict hn = s->c2 + t * BH;
    const REAL *restrict hp = t ? s->Hs + (t - 1) * BH : NULL;
    REAL *restrict gb = s->gb, *restrict gbu = s->gb2;
    for (int i = 0; i < B; i++) {
        const REAL *restrict row = gt + (size_t)i * GH;
        REAL *restrict ax = dax + (size_t)i * GH, *restrict ah = dah + (size_t)i * GH;
        for (int j = 0; j < H; j++) {
            const size_t k = (size_t)i * H + j;
            const REAL d = dh[k], r = row[j], z = row[H + j], n = row[2 * H + j];
            const REAL h = hp ? hp[k] : (REAL)0;
            const REAL dn = d * (1 - z) * nl_d(f, n);
            const REAL dr = dn * hn[k] * nl_d(g, r);
            const REAL dz = d * (h - n) * nl_d(g, z);
            ax[j] = ah[j] = dr;
            ax[H + j] = ah[H + j] = dz;
            ax[2 * H + j] = dn;
            ah[2 * H + j] = dn * r;
            dh2[k] = d * z;
        }
        for (int j = 0; j < GH; j++) {
            gb[j] += ax[j];
            gbu[j] += ah[j];
        }
    }
}

static void gru_backward(const cell_ctx *c, REAL *const *Gp, const REAL *X, int T, const REAL *cache,
                         const kml_cell_layout *L, const REAL *Hs, const REAL *dHs, REAL *scratch)
{
    cell_bwd s = {0};
    s.a = cache + L->a;
    s.c2 = cache + L->c2;
    s.Hs = Hs;
    s.gb = Gp[KML_P_B];
    s.gb2 = Gp[KML_P_BU];
    bptt(c, Gp, X, T, cache, L, Hs, dHs, scratch, &s, gru_step_back);
}
