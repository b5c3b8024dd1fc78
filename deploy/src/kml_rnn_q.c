/* kml_rnn_q.c: FastRNN / FastGRNN integer step, classifier, window loop. Number formats and the
 * shifts derived from them are documented in kml_rnn.h; primitives in kml_q.h.
 * Dimension letters: D input features, H hidden units, C classes, rW / rU ranks.
 * Scratch layout (int16): xn[D] | midW[rW] | midU[rU] | hn[H]. */
#include "kiloml/kml_rnn.h"

#define TERM_LIMIT 0x10000000L /* ±2^28: each projected term is clamped here before the sum */

uint16_t kml_rnn_scratch_elems_q(const kml_rnn_q *m)
{
    return (uint16_t)KML_RNN_SCRATCH_ELEMS(m->D, m->H, m->W.rank, m->U.rank);
}

static int shift_ok(int32_t s) { return s >= 0 && s <= KML_Q_MAX_SHIFT; }

static kml_status validate_lin(const kml_lin_q *l, uint16_t in, uint16_t out, uint8_t q_in, uint8_t q_a)
{
    kml_status s;
    if (l->rank == 0) {
        if ((s = kml_mat_validate_q(&l->a, in, out)) != KML_OK) return s;
        return shift_ok((int32_t)q_in + l->a.q - q_a) ? KML_OK : KML_E_QFORMAT;
    }
    if ((s = kml_mat_validate_q(&l->a, in, l->rank)) != KML_OK) return s;
    if ((s = kml_mat_validate_q(&l->b, l->rank, out)) != KML_OK) return s;
    if (l->q_mid > 15) return KML_E_QFORMAT;
    if (!shift_ok((int32_t)q_in + l->a.q - l->q_mid) || !shift_ok((int32_t)l->q_mid + l->b.q - q_a))
        return KML_E_QFORMAT;
    return KML_OK;
}

static int act_ok(uint8_t a) { return a == KML_ACT_QUANTTANH || a == KML_ACT_QUANTSIGM; }

static int const_ok(int16_t c, uint8_t q_g) { return c >= 0 && c <= ((int16_t)1 << q_g); }

kml_status kml_rnn_validate_q(const kml_rnn_q *m)
{
    kml_status s;
    uint16_t k;
    if (!m) return KML_E_NULL;
    if (m->version != KML_DEPLOY_FORMAT_VERSION) return KML_E_VERSION;
    if (m->cell != KML_RNN_FASTRNN && m->cell != KML_RNN_FASTGRNN) return KML_E_CELL;
    if (m->D == 0 || m->H == 0 || m->C == 0) return KML_E_DIMS;
    if (!act_ok(m->update_nl) || (m->cell == KML_RNN_FASTGRNN && !act_ok(m->gate_nl))) return KML_E_NONLIN;
    if (m->q_g < 1 || m->q_g > 14 || m->q_h > 15 || m->q_x > 15 || m->q_in > 15 || m->q_a > 26)
        return KML_E_QFORMAT;
    if (!shift_ok(2 * (int32_t)m->q_g - m->q_h)) return KML_E_QFORMAT;
    if ((s = validate_lin(&m->W, m->D, m->H, m->q_x, m->q_a)) != KML_OK) return s;
    if ((s = validate_lin(&m->U, m->H, m->H, m->q_h, m->q_a)) != KML_OK) return s;
    if ((s = kml_mat_validate_q(&m->V, m->H, m->C)) != KML_OK) return s;
    if (m->V.layout != KML_MAT_DENSE) return KML_E_LAYOUT;
    if ((int32_t)m->q_h + m->V.q > KML_Q_MAX_SHIFT) return KML_E_QFORMAT;
    if (!m->b_h || !m->v || (m->cell == KML_RNN_FASTGRNN && !m->b_g)) return KML_E_NULL;
    for (k = 0; k < m->C; k++) {
        int32_t b = KML_READ_I32(m->v + k);
        if (b > 0x40000000L || b < -0x40000000L) return KML_E_QFORMAT;
    }
    if (m->cell == KML_RNN_FASTRNN) {
        if (!const_ok(m->s_alpha, m->q_g) || !const_ok(m->s_beta, m->q_g)) return KML_E_QFORMAT;
    } else {
        if (!const_ok(m->s_zeta, m->q_g) || !const_ok(m->s_nu, m->q_g)) return KML_E_QFORMAT;
    }
    if (m->norm_m) {
        if (!m->norm_s) return KML_E_NULL;
        if (m->norm_shift > KML_Q_MAX_SHIFT) return KML_E_QFORMAT;
    }
    return KML_OK;
}

void kml_rnn_reset_q(const kml_rnn_q *m, kml_rnn_state_q *st)
{
    uint16_t j;
    for (j = 0; j < m->H; j++) st->h[j] = 0;
}

kml_status kml_rnn_init_q(const kml_rnn_q *m, kml_rnn_state_q *st, kml_rnn_scratch_q *sc)
{
    kml_status s = kml_rnn_validate_q(m);
    if (s != KML_OK) return s;
    if (!st || !sc || !st->h || !sc->buf) return KML_E_NULL;
    if (st->n < KML_RNN_STATE_ELEMS(m->H) || sc->n < kml_rnn_scratch_elems_q(m)) return KML_E_SCRATCH;
    kml_rnn_reset_q(m, st);
    return KML_OK;
}

static inline int32_t clamp_term(int32_t v)
{
    if (v > TERM_LIMIT) return TERM_LIMIT;
    if (v < -TERM_LIMIT) return -TERM_LIMIT;
    return v;
}

static inline int16_t act_q(uint8_t act, int32_t x, uint8_t q_a, uint8_t q_g)
{
    return act == KML_ACT_QUANTSIGM ? kml_quant_sigm_q(x, q_a, q_g) : kml_quant_tanh_q(x, q_a, q_g);
}

/* What one step needs besides the model: buffers and the shifts derived from the Q formats. */
typedef struct {
    int16_t *xn, *mw, *mu, *hn;
    uint8_t sw, su;  /* last-factor shifts to Q q_a */
} step_ctx;

static void prepare(const kml_rnn_q *m, const int16_t *x_raw, const int16_t *h, int16_t *buf, step_ctx *c)
{
    uint16_t i;
    c->xn = buf;
    c->mw = c->xn + m->D;
    c->mu = c->mw + m->W.rank;
    c->hn = c->mu + m->U.rank;
    if (m->norm_m)
        for (i = 0; i < m->D; i++)
            c->xn[i] = kml_norm_q(x_raw[i], KML_READ_I16(m->norm_m + i), KML_READ_I16(m->norm_s + i), m->norm_shift);
    else
        for (i = 0; i < m->D; i++) c->xn[i] = x_raw[i];
    if (m->W.rank) {
        kml_mat_vec_q(&m->W.a, c->xn, (uint8_t)(m->q_x + m->W.a.q - m->W.q_mid), c->mw);
        c->sw = (uint8_t)(m->W.q_mid + m->W.b.q - m->q_a);
    } else {
        c->sw = (uint8_t)(m->q_x + m->W.a.q - m->q_a);
    }
    if (m->U.rank) {
        kml_mat_vec_q(&m->U.a, h, (uint8_t)(m->q_h + m->U.a.q - m->U.q_mid), c->mu);
        c->su = (uint8_t)(m->U.q_mid + m->U.b.q - m->q_a);
    } else {
        c->su = (uint8_t)(m->q_h + m->U.a.q - m->q_a);
    }
}

/* a_j = x·W[:, j] + h·U[:, j] in Q q_a (int32, each term clamped to ±2^28) */
static int32_t preact(const kml_rnn_q *m, const step_ctx *c, const int16_t *h, uint16_t j)
{
    int32_t aw = m->W.rank ? kml_mat_dot_col_q(&m->W.b, c->mw, j) : kml_mat_dot_col_q(&m->W.a, c->xn, j);
    int32_t au = m->U.rank ? kml_mat_dot_col_q(&m->U.b, c->mu, j) : kml_mat_dot_col_q(&m->U.a, h, j);
    return clamp_term(kml_rshift_round(aw, c->sw)) + clamp_term(kml_rshift_round(au, c->su));
}

void kml_fastrnn_step_q(const kml_rnn_q *m, const int16_t *x_raw, kml_rnn_state_q *st, kml_rnn_scratch_q *sc)
{
    step_ctx c;
    int16_t *h = st->h;
    uint8_t qg = m->q_g, sc2 = (uint8_t)(2 * m->q_g - m->q_h);
    uint16_t j;
    prepare(m, x_raw, h, sc->buf, &c);
    for (j = 0; j < m->H; j++) {
        int16_t cand = act_q(m->update_nl, preact(m, &c, h, j) + KML_READ_I16(m->b_h + j), m->q_a, qg);
        c.hn[j] = kml_sat16(kml_rshift_round((int32_t)m->s_beta * h[j], qg) +
                            kml_rshift_round((int32_t)m->s_alpha * cand, sc2));
    }
    for (j = 0; j < m->H; j++) h[j] = c.hn[j];
}

void kml_fastgrnn_step_q(const kml_rnn_q *m, const int16_t *x_raw, kml_rnn_state_q *st, kml_rnn_scratch_q *sc)
{
    step_ctx c;
    int16_t *h = st->h;
    uint8_t qg = m->q_g, sc2 = (uint8_t)(2 * m->q_g - m->q_h);
    int32_t one = (int32_t)1 << qg;
    uint16_t j;
    prepare(m, x_raw, h, sc->buf, &c);
    for (j = 0; j < m->H; j++) {
        int32_t a = preact(m, &c, h, j);
        int16_t z = act_q(m->gate_nl, a + KML_READ_I16(m->b_g + j), m->q_a, qg);
        int16_t cand = act_q(m->update_nl, a + KML_READ_I16(m->b_h + j), m->q_a, qg);
        int32_t coef = kml_rshift_round((int32_t)m->s_zeta * (one - z), qg) + m->s_nu;
        c.hn[j] = kml_sat16(kml_rshift_round((int32_t)z * h[j], qg) + kml_rshift_round(coef * cand, sc2));
    }
    for (j = 0; j < m->H; j++) h[j] = c.hn[j];
}

void kml_rnn_step_q(const kml_rnn_q *m, const int16_t *x_raw, kml_rnn_state_q *st, kml_rnn_scratch_q *sc)
{
    if (m->cell == KML_RNN_FASTGRNN)
        kml_fastgrnn_step_q(m, x_raw, st, sc);
    else
        kml_fastrnn_step_q(m, x_raw, st, sc);
}

uint8_t kml_rnn_logit_q(const kml_rnn_q *m) { return (uint8_t)(m->q_h + m->V.q); }

void kml_rnn_logits_q(const kml_rnn_q *m, const kml_rnn_state_q *st, int32_t *logits)
{
    uint16_t k;
    for (k = 0; k < m->C; k++) logits[k] = kml_mat_dot_col_q(&m->V, st->h, k) + KML_READ_I32(m->v + k);
}

uint16_t kml_argmax_q32(const int32_t *v, uint16_t n)
{
    uint16_t i, best = 0;
    for (i = 1; i < n; i++)
        if (v[i] > v[best]) best = i;
    return best;
}

uint16_t kml_rnn_predict_q(const kml_rnn_q *m, const int16_t *X, uint16_t T, kml_rnn_state_q *st,
                           kml_rnn_scratch_q *sc, int32_t *logits)
{
    uint16_t t;
    kml_rnn_reset_q(m, st);
    for (t = 0; t < T; t++) kml_rnn_step_q(m, X + (uint32_t)t * m->D, st, sc);
    kml_rnn_logits_q(m, st, logits);
    return kml_argmax_q32(logits, m->C);
}

static uint32_t lin_bytes(const kml_lin_q *l)
{
    return kml_mat_flash_bytes_q(&l->a) + (l->rank ? kml_mat_flash_bytes_q(&l->b) : 0u);
}

uint32_t kml_rnn_flash_bytes_q(const kml_rnn_q *m)
{
    uint32_t n = lin_bytes(&m->W) + lin_bytes(&m->U) + kml_mat_flash_bytes_q(&m->V);
    n += 2u * (uint32_t)m->H * (m->cell == KML_RNN_FASTGRNN ? 2u : 1u) + 4u * m->C;
    if (m->norm_m) n += 4u * m->D;
    return n;
}
