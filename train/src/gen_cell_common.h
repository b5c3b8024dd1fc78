/* gen_cell_common.h: generic body (REAL = float or double), included by cells_f32.c / cells_f64.c.
 * The matrix work every cell shares, on cblas gemm (row-major):
 *   proj_x     all steps at once: XW[T·B][G·H] = X·W, or (X·W1)·W2 keeping X·W1
 *   rec_fwd    one step: out[B][G·H] = beta·out + h_{t-1}·U, or (h_{t-1}·U1)·U2 keeping h·U1
 *   rec_bwd    one step: dh_{t-1}[B][H] += dA·Uᵀ, or (dA·U2ᵀ)·U1ᵀ keeping dA·U2ᵀ
 *   flush_w/u  a chunk of k steps: dW, dU (or their factors) from one gemm each over k·B rows
 * Dimension letters: T steps, B batch, D inputs, H hidden, G gate blocks, rW, rU ranks.
 * A worker thread runs B rows of the S rows each time step holds in the [T][S][·] arrays: the
 * per-step work of the rows it owns (rows are independent series); its pointers are offset to
 * its first row and step by S rows. */

typedef struct cell_ctx {
    const kml_model_config *cfg;
    REAL *const *P;  /* parameters, by kml_param_id */
    int D, H, GH, rW, rU;
    int B;           /* rows this worker runs */
    int S;           /* rows per time step in the arrays (the whole batch) */
    const REAL *Ut, *U2t, *U1t; /* backward only: Uᵀ, or U2ᵀ and U1ᵀ (scratch) */
    REAL dh_clip;    /* backward only: bound on each row's ||dLoss/dh_{t-1}||, 0 = none (kml_model.bptt_clip) */
} cell_ctx;

static cell_ctx ctx_of(const kml_model_config *cfg, REAL *const *P, int S)
{
    cell_ctx c = {cfg, P, cfg->D, cfg->H, kml_cell_gates(cfg->cell) * cfg->H, cfg->rank_w, cfg->rank_u, S, S,
                  NULL, NULL, NULL, 0};
    return c;
}

/* out[cols][rows] = in[rows][cols]ᵀ */
static void transpose(int rows, int cols, const REAL *restrict in, REAL *restrict out)
{
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) out[(size_t)j * rows + i] = in[(size_t)i * cols + j];
}

/* Fill the transposed recurrent matrices the backward multiplies by, in scratch. */
static void prepare_ut(cell_ctx *c, REAL *ut)
{
    if (c->rU == 0) {
        transpose(c->H, c->GH, c->P[KML_P_U], ut);
        c->Ut = ut;
    } else {
        REAL *u2t = ut, *u1t = ut + (size_t)c->GH * c->rU;
        transpose(c->rU, c->GH, c->P[KML_P_U2], u2t);
        transpose(c->H, c->rU, c->P[KML_P_U1], u1t);
        c->U2t = u2t;
        c->U1t = u1t;
    }
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
        mm(0, 0, c->B, c->H, c->GH, dah, c->Ut, 1, dhprev);
    } else {
        mm(0, 0, c->B, c->rU, c->GH, dah, c->U2t, 0, dhu1);
        mm(0, 0, c->B, c->H, c->rU, dhu1, c->U1t, 1, dhprev);
    }
}

/* Steps t0 .. t0+k-1 of all S rows: dax holds them at index t - t0; dW (or dW1, dW2) += ... */
static void flush_w(const cell_ctx *c, REAL *const *Gp, const REAL *X, const REAL *xw1, int t0, int k,
                    const REAL *dax, REAL *dxw1)
{
    const int rows = k * c->S;
    const size_t r0 = (size_t)t0 * c->S;
    if (c->rW == 0) {
        mm(1, 0, c->D, c->GH, rows, X + r0 * c->D, dax, 1, Gp[KML_P_W]);
    } else {
        mm(1, 0, c->rW, c->GH, rows, xw1 + r0 * c->rW, dax, 1, Gp[KML_P_W2]);
        mm(0, 1, rows, c->rW, c->GH, dax, c->P[KML_P_W2], 0, dxw1);
        mm(1, 0, c->D, c->rW, rows, X + r0 * c->D, dxw1, 1, Gp[KML_P_W1]);
    }
}

/* ... and dU (or dU1, dU2) from dah and dhu1. Steps t = 0 have h_{-1} = 0 and add nothing. */
static void flush_u(const cell_ctx *c, REAL *const *Gp, const REAL *Hs, const REAL *hu1, int t0, int k,
                    const REAL *dah, const REAL *dhu1)
{
    const int S = c->S;
    const int s0 = t0 > 0 ? t0 : 1, ks = t0 + k - s0;
    if (ks <= 0) return;
    const size_t o = (size_t)(s0 - t0) * S, rs = (size_t)s0 * S, rp = (size_t)(s0 - 1) * S;
    if (c->rU == 0) {
        mm(1, 0, c->H, c->GH, ks * S, Hs + rp * c->H, dah + o * c->GH, 1, Gp[KML_P_U]);
    } else {
        mm(1, 0, c->rU, c->GH, ks * S, hu1 + rs * c->rU, dah + o * c->GH, 1, Gp[KML_P_U2]);
        mm(1, 0, c->H, c->rU, ks * S, Hs + rp * c->H, dhu1 + o * c->rU, 1, Gp[KML_P_U1]);
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

/* Scale each of the B rows of dh[B][H] whose L2 norm exceeds clip down to norm clip. */
static void clip_rows(REAL *dh, int B, int H, REAL clip)
{
    for (int b = 0; b < B; b++) {
        REAL *r = dh + (size_t)b * H;
        double s = 0.0;
        for (int j = 0; j < H; j++) s += (double)r[j] * r[j];
        if (s > (double)clip * clip) {
            REAL k = (REAL)(clip / sqrt(s));
            for (int j = 0; j < H; j++) r[j] *= k;
        }
    }
}

/* rows[i][j] += b[j] for B rows of n */
KML_VEC_CLONES static void add_bias_row(int n, const REAL *restrict b, REAL *restrict row)
{
    for (int j = 0; j < n; j++) row[j] += b[j];
}

static void add_bias_rows(int B, int n, const REAL *b, REAL *rows)
{
    for (int i = 0; i < B; i++) add_bias_row(n, b, rows + (size_t)i * n);
}

KML_VEC_CLONES static void scale_vec(size_t n, REAL a, const REAL *restrict x, REAL *restrict y)
{
    for (size_t k = 0; k < n; k++) y[k] = a * x[k];
}
