/* emi_stream_q.c: streaming EMI-RNN on the integer runtime (kiloml/emi.h): the schedule of
 * emi_stream_common.h with the integer step, the integer confidence test and integer sums. */
#include "kiloml/emi.h"

static int logits_ok_(const kml_rnn_q *m) { return kml_rnn_logit_q(m) <= 30; }

static int confident_(kml_emi_stream_q *s, int *cls)
{
    return kml_emi_tail_q15(s->logits, s->model->C, s->logit_q, cls) <= s->tail_bound;
}

static void add_conf_(kml_emi_stream_q *s)
{
    uint16_t c;
    kml_emi_softmax_q15(s->logits, s->model->C, s->logit_q, s->prob);
    for (c = 0; c < s->model->C; c++) s->conf_sum[c] += (uint32_t)s->prob[c];
}

static int decide_(const kml_emi_stream_q *s)
{
    return kml_emi_bag_decide_q(s->pred, s->cfg.n_inst, s->model->C, s->cfg.k, s->cfg.negative, s->conf_sum);
}

#define KML_S_(name) name##_q
#define KML_ELEM_ int16_t
#define KML_CBUF_ int32_t
#define KML_CONF_ uint32_t
#include "emi_stream_common.h" /* reset, attach, run_instance, push */

kml_status kml_emi_stream_init_q(kml_emi_stream_q *s, const kml_rnn_q *m, const kml_emi_cfg *cfg, uint16_t p_q15,
                                 int16_t *ring, int16_t *h, uint16_t h_elems, int16_t *scratch, uint16_t scratch_elems,
                                 int32_t *cbuf, uint8_t *pred)
{
    kml_status st = attach(s, m, cfg, ring, h, h_elems, scratch, scratch_elems, cbuf, pred);
    if (st != KML_OK) return st;
    s->tail_bound = kml_emi_tail_bound_q15(p_q15);
    s->logit_q = kml_rnn_logit_q(m);
    kml_emi_stream_reset_q(s);
    return KML_OK;
}
