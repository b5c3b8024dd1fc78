/* emi_stream_f32.c: streaming EMI-RNN on the float runtime (kiloml/emi.h): the schedule of
 * emi_stream_common.h with the float step, the softmax confidence test and float sums. */
#include "kiloml/emi.h"

uint8_t kml_emi_count(uint16_t T, uint16_t window, uint16_t stride)
{
    uint32_t n;
    if (T == 0 || window == 0 || stride == 0) return 0;
    n = T <= window ? 1u : 1u + ((uint32_t)T - window + stride - 1u) / stride;
    return n > 255u ? 0 : (uint8_t)n;
}

static int logits_ok_(const kml_rnn_f32 *m)
{
    (void)m;
    return 1;
}

static int confident_(kml_emi_stream_f32 *s, int *cls)
{
    return kml_emi_softmax_f32(s->logits, s->model->C, s->prob, cls) >= s->p_hat;
}

static void add_conf_(kml_emi_stream_f32 *s) /* prob: the exit step's, from confident_ */
{
    uint16_t c;
    for (c = 0; c < s->model->C; c++) s->conf_sum[c] += s->prob[c];
}

static int decide_(const kml_emi_stream_f32 *s)
{
    return kml_emi_bag_decide(s->pred, s->cfg.n_inst, s->model->C, s->cfg.k, s->cfg.negative, s->conf_sum);
}

#define KML_S_(name) name##_f32
#define KML_ELEM_ float
#define KML_CBUF_ float
#define KML_CONF_ float
#include "emi_stream_common.h" /* reset, attach, run_instance, push */

kml_status kml_emi_stream_init_f32(kml_emi_stream_f32 *s, const kml_rnn_f32 *m, const kml_emi_cfg *cfg, float p_hat,
                                   float *ring, float *h, uint16_t h_elems, float *scratch, uint16_t scratch_elems,
                                   float *cbuf, uint8_t *pred)
{
    kml_status st = attach(s, m, cfg, ring, h, h_elems, scratch, scratch_elems, cbuf, pred);
    if (st != KML_OK) return st;
    s->p_hat = p_hat;
    kml_emi_stream_reset_f32(s);
    return KML_OK;
}
