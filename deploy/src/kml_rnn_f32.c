/* kml_rnn_f32.c: FastRNN / FastGRNN float step, classifier, window loop (equations in kml_rnn.h).
 * Dimension letters: D input features, H hidden units, C classes, rW / rU ranks.
 * Scratch layout: xn[D] | midW[rW] | midU[rU] | hn[H]. */
#include "kiloml/kml_rnn.h"

#define KML_S_(name) name##_f32
#define KML_ELEM_ float
#define KML_LOGIT_ float
#define KML_READ_LOGIT_ KML_READ_F32
#define KML_ARGMAX_ kml_argmax_f32
#include "kml_rnn_common.h" /* scratch size, reset, init, step entry points, logits, argmax, predict, lin_bytes */

static kml_status validate_lin(const kml_lin_f32 *l, uint16_t in, uint16_t out)
{
    kml_status s;
    if (l->rank == 0) return kml_mat_validate_f32(&l->a, in, out);
    s = kml_mat_validate_f32(&l->a, in, l->rank);
    if (s != KML_OK) return s;
    return kml_mat_validate_f32(&l->b, l->rank, out);
}

static int act_ok(uint8_t a) { return a <= KML_ACT_HARDSIGM; }

kml_status kml_rnn_validate_f32(const kml_rnn_f32 *m)
{
    kml_status s;
    if (!m) return KML_E_NULL;
    if (m->version != KML_DEPLOY_FORMAT_VERSION) return KML_E_VERSION;
    if (m->cell != KML_RNN_FASTRNN && m->cell != KML_RNN_FASTGRNN) return KML_E_CELL;
    if (m->D == 0 || m->H == 0 || m->C == 0) return KML_E_DIMS;
    if (!act_ok(m->update_nl) || (m->cell == KML_RNN_FASTGRNN && !act_ok(m->gate_nl))) return KML_E_NONLIN;
    if ((s = validate_lin(&m->W, m->D, m->H)) != KML_OK) return s;
    if ((s = validate_lin(&m->U, m->H, m->H)) != KML_OK) return s;
    if ((s = kml_mat_validate_f32(&m->V, m->H, m->C)) != KML_OK) return s;
    if (m->V.layout != KML_MAT_DENSE) return KML_E_LAYOUT;
    if (!m->b_h || !m->v || (m->cell == KML_RNN_FASTGRNN && !m->b_g)) return KML_E_NULL;
    if ((m->mean == 0) != (m->std == 0)) return KML_E_NULL;
    return KML_OK;
}

/* Normalised input, low-rank intermediates; returns hn. */
static float *prepare(const kml_rnn_f32 *m, const float *x_raw, const float *h, float *buf, float **xn_out,
                      float **mw_out, float **mu_out)
{
    float *xn = buf, *mw = xn + m->D, *mu = mw + m->W.rank, *hn = mu + m->U.rank;
    uint16_t i;
    if (m->mean)
        for (i = 0; i < m->D; i++) xn[i] = (x_raw[i] - KML_READ_F32(m->mean + i)) / KML_READ_F32(m->std + i);
    else
        for (i = 0; i < m->D; i++) xn[i] = x_raw[i];
    if (m->W.rank) kml_mat_vec_f32(&m->W.a, xn, mw);
    if (m->U.rank) kml_mat_vec_f32(&m->U.a, h, mu);
    *xn_out = xn;
    *mw_out = mw;
    *mu_out = mu;
    return hn;
}

/* a_j = x·W[:, j] + h·U[:, j] */
static float preact(const kml_rnn_f32 *m, const float *xn, const float *mw, const float *h, const float *mu,
                    uint16_t j)
{
    float aw = m->W.rank ? kml_mat_dot_col_f32(&m->W.b, mw, j) : kml_mat_dot_col_f32(&m->W.a, xn, j);
    float au = m->U.rank ? kml_mat_dot_col_f32(&m->U.b, mu, j) : kml_mat_dot_col_f32(&m->U.a, h, j);
    return aw + au;
}

/* One step of either cell (equations in kml_rnn.h): the new state goes to scratch, then to h. */
static void step(const kml_rnn_f32 *m, const float *x_raw, kml_rnn_state_f32 *st, kml_rnn_scratch_f32 *sc, int grnn)
{
    float *xn, *mw, *mu, *h = st->h;
    float *hn = prepare(m, x_raw, h, sc->buf, &xn, &mw, &mu);
    uint16_t j;
    for (j = 0; j < m->H; j++) {
        float a = preact(m, xn, mw, h, mu, j);
        float c = kml_act_f32(m->update_nl, a + KML_READ_F32(m->b_h + j));
        if (grnn) {
            float z = kml_act_f32(m->gate_nl, a + KML_READ_F32(m->b_g + j));
            hn[j] = z * h[j] + (m->s_zeta * (1.0f - z) + m->s_nu) * c;
        } else {
            hn[j] = m->s_beta * h[j] + m->s_alpha * c;
        }
    }
    for (j = 0; j < m->H; j++) h[j] = hn[j];
}

uint32_t kml_rnn_flash_bytes_f32(const kml_rnn_f32 *m)
{
    uint32_t n = lin_bytes(&m->W) + lin_bytes(&m->U) + kml_mat_flash_bytes_f32(&m->V);
    n += 4u * ((uint32_t)m->H * (m->cell == KML_RNN_FASTGRNN ? 2u : 1u) + m->C);
    if (m->mean) n += 8u * m->D;
    return n;
}
