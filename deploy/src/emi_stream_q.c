/* emi_stream_q.c: streaming EMI-RNN on the integer runtime (kiloml/emi.h): the float stream's
 * schedule (ring of one window, instances as their window completes, short last windows at the
 * end of the bag) with the integer step, the integer confidence test and integer sums. */
#include "kiloml/emi.h"

void kml_emi_stream_reset_q(kml_emi_stream_q *s)
{
    uint16_t c;
    s->t = 0;
    s->done = 0;
    for (c = 0; c < s->model->C; c++) s->conf_sum[c] = 0u;
}

kml_status kml_emi_stream_init_q(kml_emi_stream_q *s, const kml_rnn_q *m, const kml_emi_cfg *cfg, uint16_t p_q15,
                                 int16_t *ring, int16_t *h, uint16_t h_elems, int16_t *scratch, uint16_t scratch_elems,
                                 int32_t *cbuf, uint8_t *pred)
{
    kml_status st;
    if (!s || !m || !cfg || !ring || !h || !scratch || !cbuf || !pred) return KML_E_NULL;
    st = kml_rnn_validate_q(m);
    if (st != KML_OK) return st;
    if (cfg->n_inst == 0 || cfg->n_inst != kml_emi_count(cfg->T, cfg->window, cfg->stride) || cfg->k == 0 ||
        m->C > 255 || cfg->negative < KML_EMI_NO_NEGATIVE || cfg->negative >= (int16_t)m->C ||
        kml_rnn_logit_q(m) > 30)
        return KML_E_DIMS;
    if (h_elems < KML_RNN_STATE_ELEMS(m->H) || scratch_elems < kml_rnn_scratch_elems_q(m)) return KML_E_SCRATCH;
    s->model = m;
    s->cfg.T = cfg->T; /* field by field: a struct copy may call memcpy, which deploy/ does not assume */
    s->cfg.window = cfg->window;
    s->cfg.stride = cfg->stride;
    s->cfg.n_inst = cfg->n_inst;
    s->cfg.k = cfg->k;
    s->cfg.negative = cfg->negative;
    s->tail_bound = kml_emi_tail_bound_q15(p_q15);
    s->logit_q = kml_rnn_logit_q(m);
    s->ring = ring;
    s->st.h = h;
    s->st.n = h_elems;
    s->sc.buf = scratch;
    s->sc.n = scratch_elems;
    s->logits = cbuf;
    s->prob = cbuf + m->C;
    s->conf_sum = (uint32_t *)(cbuf + 2u * m->C);
    s->pred = pred;
    s->steps_run = 0;
    s->steps_full = 0;
    s->last_steps = 0;
    kml_emi_stream_reset_q(s);
    return KML_OK;
}

static void run_instance(kml_emi_stream_q *s, uint8_t j)
{
    const kml_rnn_q *m = s->model;
    const uint16_t W = s->cfg.window, start = (uint16_t)(j * s->cfg.stride);
    uint16_t len = (uint16_t)(s->t - start), i, c;
    int cls = 0;
    if (len > W) len = W;
    kml_rnn_reset_q(m, &s->st);
    for (i = 0; i < len; i++) {
        uint16_t slot = (uint16_t)((uint16_t)(start + i) % W);
        kml_rnn_step_q(m, s->ring + (uint32_t)slot * m->D, &s->st, &s->sc);
        kml_rnn_logits_q(m, &s->st, s->logits);
        if (kml_emi_tail_q15(s->logits, m->C, s->logit_q, &cls) <= s->tail_bound) {
            i++;
            break;
        }
    }
    s->pred[j] = (uint8_t)cls;
    kml_emi_softmax_q15(s->logits, m->C, s->logit_q, s->prob);
    for (c = 0; c < m->C; c++) s->conf_sum[c] += (uint32_t)s->prob[c];
    s->last_steps = i;
    s->steps_run += i;
    s->steps_full += len;
}

int kml_emi_push_q(kml_emi_stream_q *s, const int16_t *x_raw, int16_t *bag_label)
{
    const kml_emi_cfg *cfg = &s->cfg;
    const uint16_t D = s->model->D;
    int16_t *dst = s->ring + (uint32_t)(s->t % cfg->window) * D;
    int result = KML_EMI_PENDING;
    uint16_t f;
    for (f = 0; f < D; f++) dst[f] = x_raw[f];
    s->t++;
    if (s->done < cfg->n_inst && (uint32_t)s->done * cfg->stride + cfg->window == s->t) {
        run_instance(s, s->done);
        s->done++;
        result = KML_EMI_INSTANCE_DONE;
    }
    if (s->t == cfg->T) {
        int label;
        while (s->done < cfg->n_inst) {
            run_instance(s, s->done);
            s->done++;
        }
        label = kml_emi_bag_decide_q(s->pred, cfg->n_inst, s->model->C, cfg->k, cfg->negative, s->conf_sum);
        if (bag_label) *bag_label = (int16_t)label;
        kml_emi_stream_reset_q(s);
        result = KML_EMI_BAG_DONE;
    }
    return result;
}
