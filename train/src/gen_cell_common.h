/* gen_cell_common.h: generic body (REAL = float or double), included by cells_f32.c / cells_f64.c.
 * The matrix work every cell shares, on cblas gemm (row-major):
 *   proj_x     all steps at once: XW[T·B][G·H] = X·W, or (X·W1)·W2 keeping X·W1
 *   rec_fwd    one step: out[B][G·H] = beta·out + h_{t-1}·U, or (h_{t-1}·U1)·U2 keeping h·U1
 *   rec_bwd    one step: dh_{t-1}[B][H] += dA·Uᵀ, or (dA·U2ᵀ)·U1ᵀ keeping dA·U2ᵀ
 *   flush      a chunk of k steps: dW, dU (or their factors) from one gemm each over k·B rows
 * Dimension letters: T steps, B batch, D inputs, H hidden, G gate blocks, rW, rU ranks. */

typedef struct cell_ctx {
    const kml_model_config *cfg;
    REAL *const *P;  /* parameters, by kml_param_id */
    int D, H, GH, rW, rU, B;
} cell_ctx;

static cell_ctx ctx_of(const kml_model_config *cfg, REAL *const *P, int B)
{
    cell_ctx c = {cfg, P, cfg->D, cfg->H, kml_cell_gates(cfg->cell) * cfg->H, cfg->rank_w, cfg->rank_u, B};
    return c;
}

/* C[M][N] = alpha·op(A)·op(B) + beta·C, row-major, leading dimensions from the shapes. */
static void mm(int ta, int tb, int M, int N, int K, const REAL *A, const REAL *Bm, REAL beta, REAL *Cm)
{
    if (M <= 0 || N <= 0 || K <= 0) return;
    GEMM(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, (REAL)1, A,
         ta ? M : K, Bm, tb ? K : N, beta, Cm, N);
}

static void proj_x(const cell_ctx *c, const REAL *X, int rows, REAL *xw1, REAL *out)
{
    if (c->rW == 0) {
        mm(0, 0, rows, c->GH, c->D, X, c->P[KML_P_W], 0, out);
    } else {
        mm(0, 0, rows, c->rW, c->D, X, c->P[KML_P_W1], 0, xw1);
        mm(0, 0, rows, c->GH, c->rW, xw1, c->P[KML_P_W2], 0, out);
    }
}

static void rec_fwd(const cell_ctx *c, const REAL *hprev, REAL *hu1, REAL beta, REAL *out)
{
    if (c->rU == 0) {
        mm(0, 0, c->B, c->GH, c->H, hprev, c->P[KML_P_U], beta, out);
    } else {
        mm(0, 0, c->B, c->rU, c->H, hprev, c->P[KML_P_U1], 0, hu1);
        mm(0, 0, c->B, c->GH, c->rU, hu1, c->P[KML_P_U2], beta, out);
    }
}

static void rec_bwd(const cell_ctx *c, const REAL *dah, REAL *dhu1, REAL *dhprev)
{
    if (c->rU == 0) {
        mm(0, 1, c->B, c->H, c->GH, dah, c->P[KML_P_U], 1, dhprev);
    } else {
        mm(0, 1, c->B, c->rU, c->GH, dah, c->P[KML_P_U2], 0, dhu1);
        mm(0, 1, c->B, c->H, c->rU, dhu1, c->P[KML_P_U1], 1, dhprev);
    }
}

/* Steps t0 .. t0+k-1: dax/dah/dhu1 hold them at index t - t0. Steps t = 0 have h_{-1} = 0 and
 * add nothing to dU. */
static void flush(const cell_ctx *c, REAL *const *Gp, const REAL *X, const REAL *Hs, const REAL *xw1,
                  const REAL *hu1, int t0, int k, const REAL *dax, const REAL *dah, const REAL *dhu1,
                  REAL *dxw1)
{
    const int B = c->B, rows = k * B;
    const size_t r0 = (size_t)t0 * B;
    if (c->rW == 0) {
        mm(1, 0, c->D, c->GH, rows, X + r0 * c->D, dax, 1, Gp[KML_P_W]);
    } else {
        mm(1, 0, c->rW, c->GH, rows, xw1 + r0 * c->rW, dax, 1, Gp[KML_P_W2]);
        mm(0, 1, rows, c->rW, c->GH, dax, c->P[KML_P_W2], 0, dxw1);
        mm(1, 0, c->D, c->rW, rows, X + r0 * c->D, dxw1, 1, Gp[KML_P_W1]);
    }
    const int s0 = t0 > 0 ? t0 : 1, ks = t0 + k - s0;
    if (ks <= 0) return;
    const size_t o = (size_t)(s0 - t0) * B, rs = (size_t)s0 * B, rp = (size_t)(s0 - 1) * B;
    if (c->rU == 0) {
        mm(1, 0, c->H, c->GH, ks * B, Hs + rp * c->H, dah + o * c->GH, 1, Gp[KML_P_U]);
    } else {
        mm(1, 0, c->rU, c->GH, ks * B, hu1 + rs * c->rU, dah + o * c->GH, 1, Gp[KML_P_U2]);
        mm(1, 0, c->H, c->rU, ks * B, Hs + rp * c->H, dhu1 + o * c->rU, 1, Gp[KML_P_U1]);
    }
}

/* dh2 += dHs[t-1]; then swap dh and dh2. */
static void step_back(REAL **dh, REAL **dh2, const REAL *dHs_prev, size_t n)
{
    REAL *restrict d = *dh2;
    for (size_t i = 0; i < n; i++) d[i] += dHs_prev[i];
    REAL *t = *dh;
    *dh = *dh2;
    *dh2 = t;
}
