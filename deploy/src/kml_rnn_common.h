/* kml_rnn_common.h: the parts of the float (kml_rnn_f32.c) and the integer (kml_rnn_q.c) runtime
 * that differ only in their types: scratch size, reset, init, the step entry points, classifier,
 * argmax, the window loop and the flash size of a linear map. Included once by each of the two files, after it defines
 *   KML_S_(name)     name##_f32 or name##_q (the suffix of the public names and types)
 *   KML_ELEM_        float / int16_t        (state, inputs)
 *   KML_LOGIT_       float / int32_t        (logits)
 *   KML_READ_LOGIT_  KML_READ_F32 / KML_READ_I32 (the classifier bias v in flash)
 *   KML_ARGMAX_      kml_argmax_f32 / kml_argmax_q32
 * and its own one step of either cell, static void step(m, x_raw, st, sc, int grnn), defined after.
 * Dimension letters: D input features, H hidden units, C classes, T steps. */
#ifndef KML_S_
#error "define KML_S_ and the other parameters before including kml_rnn_common.h"
#endif

uint16_t KML_S_(kml_rnn_scratch_elems)(const KML_S_(kml_rnn) *m)
{
    return (uint16_t)KML_RNN_SCRATCH_ELEMS(m->D, m->H, m->W.rank, m->U.rank);
}

void KML_S_(kml_rnn_reset)(const KML_S_(kml_rnn) *m, KML_S_(kml_rnn_state) *st)
{
    uint16_t j;
    for (j = 0; j < m->H; j++) st->h[j] = 0;
}

kml_status KML_S_(kml_rnn_init)(const KML_S_(kml_rnn) *m, KML_S_(kml_rnn_state) *st, KML_S_(kml_rnn_scratch) *sc)
{
    kml_status s = KML_S_(kml_rnn_validate)(m);
    if (s != KML_OK) return s;
    if (!st || !sc || !st->h || !sc->buf) return KML_E_NULL;
    if (st->n < KML_RNN_STATE_ELEMS(m->H) || sc->n < KML_S_(kml_rnn_scratch_elems)(m)) return KML_E_SCRATCH;
    KML_S_(kml_rnn_reset)(m, st);
    return KML_OK;
}

static void step(const KML_S_(kml_rnn) *m, const KML_ELEM_ *x_raw, KML_S_(kml_rnn_state) *st,
                 KML_S_(kml_rnn_scratch) *sc, int grnn);

void KML_S_(kml_fastrnn_step)(const KML_S_(kml_rnn) *m, const KML_ELEM_ *x_raw, KML_S_(kml_rnn_state) *st,
                              KML_S_(kml_rnn_scratch) *sc)
{
    step(m, x_raw, st, sc, 0);
}

void KML_S_(kml_fastgrnn_step)(const KML_S_(kml_rnn) *m, const KML_ELEM_ *x_raw, KML_S_(kml_rnn_state) *st,
                               KML_S_(kml_rnn_scratch) *sc)
{
    step(m, x_raw, st, sc, 1);
}

void KML_S_(kml_rnn_step)(const KML_S_(kml_rnn) *m, const KML_ELEM_ *x_raw, KML_S_(kml_rnn_state) *st,
                          KML_S_(kml_rnn_scratch) *sc)
{
    if (m->cell == KML_RNN_FASTGRNN)
        KML_S_(kml_fastgrnn_step)(m, x_raw, st, sc);
    else
        KML_S_(kml_fastrnn_step)(m, x_raw, st, sc);
}

void KML_S_(kml_rnn_logits)(const KML_S_(kml_rnn) *m, const KML_S_(kml_rnn_state) *st, KML_LOGIT_ *logits)
{
    uint16_t k;
    for (k = 0; k < m->C; k++) logits[k] = KML_S_(kml_mat_dot_col)(&m->V, st->h, k) + KML_READ_LOGIT_(m->v + k);
}

uint16_t KML_ARGMAX_(const KML_LOGIT_ *v, uint16_t n)
{
    uint16_t i, best = 0;
    for (i = 1; i < n; i++)
        if (v[i] > v[best]) best = i;
    return best;
}

uint16_t KML_S_(kml_rnn_predict)(const KML_S_(kml_rnn) *m, const KML_ELEM_ *X, uint16_t T, KML_S_(kml_rnn_state) *st,
                                 KML_S_(kml_rnn_scratch) *sc, KML_LOGIT_ *logits)
{
    uint16_t t;
    KML_S_(kml_rnn_reset)(m, st);
    for (t = 0; t < T; t++) KML_S_(kml_rnn_step)(m, X + (uint32_t)t * m->D, st, sc);
    KML_S_(kml_rnn_logits)(m, st, logits);
    return KML_ARGMAX_(logits, m->C);
}

/* Flash bytes of a linear map: its first factor, and the second one when low rank. */
static uint32_t lin_bytes(const KML_S_(kml_lin) *l)
{
    return KML_S_(kml_mat_flash_bytes)(&l->a) + (l->rank ? KML_S_(kml_mat_flash_bytes)(&l->b) : 0u);
}
