/* emi_stream_f32.c: streaming EMI-RNN on the float runtime: ring buffer of one window, instances
 * run as their window completes, early exit, the bag decided after T samples (kiloml/emi.h). */
#include "kiloml/emi.h"

uint8_t kml_emi_count(uint16_t T, uint16_t window, uint16_t stride)
{
    uint32_t n;
    if (T == 0 || window == 0 || stride == 0) return 0;
    n = T <= window ? 1u : 1u + ((uint32_t)T - window + stride - 1u) / stride;
    return n > 255u ? 0 : (uint8_t)n;
}

void kml_emi_stream_reset_f32(kml_emi_stream_f32 *s)
{
    uint16_t c;
    s->t = 0;
    s->done = 0;
    for (c = 0; c < s->model->C; c++) s->conf_sum[c] = 0.0f;
}

kml_status kml_emi_stream_init_f32(kml_emi_stream_f32 *s, const kml_rnn_f32 *m, const kml_emi_cfg *cfg, float p_hat,
                                   float *ring, float *h, uint16_t h_elems, float *scratch, uint16_t scratch_elems,
                                   float *cbuf, uint8_t *pred)
{
    kml_status st;
    if (!s || !m || !cfg || !ring || !h || !scratch || !cbuf || !pred) return KML_E_NULL;
    st = kml_rnn_validate_f32(m);
    if (st != KML_OK) return st;
    if (cfg->n_inst == 0 || cfg->n_inst != kml_emi_count(cfg->T, cfg->window, cfg->stride) || cfg->k == 0 ||
        m->C > 255 || cfg->negative < KML_EMI_NO_NEGATIVE || cfg->negative >= (int16_t)m->C)
        return KML_E_DIMS;
    s->model = m;
    s->cfg.T = cfg->T; /* field by field: a struct copy may call memcpy, which deploy/ does not assume */
    s->cfg.window = cfg->window;
    s->cfg.stride = cfg->stride;
    s->cfg.n_inst = cfg->n_inst;
    s->cfg.k = cfg->k;
    s->cfg.negative = cfg->negative;
    s->p_hat = p_hat;
    s->ring = ring;
    s->st.h = h;
    s->st.n = h_elems;
    s->sc.buf = scratch;
    s->sc.n = scratch_elems;
    if (h_elems < KML_RNN_STATE_ELEMS(m->H) || scratch_elems < kml_rnn_scratch_elems_f32(m)) return KML_E_SCRATCH;
    s->logits = cbuf;
    s->prob = cbuf + m->C;
    s->conf_sum = cbuf + 2u * m->C;
    s->pred = pred;
    s->steps_run = 0;
    s->steps_full = 0;
    s->last_steps = 0;
    kml_emi_stream_reset_f32(s);
    return KML_OK;
}

/* Instance j from the ring: its valid samples are [j·stride, min(j·stride + window, t)). */
static void run_instance(kml_emi_stream_f32 *s, uint8_t j)
{
    const kml_rnn_f32 *m = s->model;
    const uint16_t W = s->cfg.window, start = (uint16_t)(j * s->cfg.stride);
    uint16_t len = (uint16_t)(s->t - start), i, c;
    int cls = 0;
    if (len > W) len = W;
    kml_rnn_reset_f32(m, &s->st);
    for (i = 0; i < len; i++) {
        uint16_t slot = (uint16_t)((uint16_t)(start + i) % W);
        kml_rnn_step_f32(m, s->ring + (uint32_t)slot * m->D, &s->st, &s->sc);
        kml_rnn_logits_f32(m, &s->st, s->logits);
        if (kml_emi_softmax_f32(s->logits, m->C, s->prob, &cls) >= s->p_hat) {
            i++;
            break;
        }
    }
    s->pred[j] = (uint8_t)cls;
    for (c = 0; c < m->C; c++) s->conf_sum[c] += s->prob[c];
    s->last_steps = i;
    s->steps_run += i;
    s->steps_full += len;
}

int kml_emi_push_f32(kml_emi_stream_f32 *s, const float *x_raw, int16_t *bag_label)
{
    const kml_emi_cfg *cfg = &s->cfg;
    const uint16_t D = s->model->D;
    float *dst = s->ring + (uint32_t)(s->t % cfg->window) * D;
    int result = KML_EMI_PENDING;
    uint16_t f;
    for (f = 0; f < D; f++) dst[f] = x_raw[f];
    s->t++;
    /* the next instance's window just completed */
    if (s->done < cfg->n_inst && (uint32_t)s->done * cfg->stride + cfg->window == s->t) {
        run_instance(s, s->done);
        s->done++;
        result = KML_EMI_INSTANCE_DONE;
    }
    if (s->t == cfg->T) {
        int label;
        while (s->done < cfg->n_inst) { /* short last windows: their valid samples only */
            run_instance(s, s->done);
            s->done++;
        }
        label = kml_emi_bag_decide(s->pred, cfg->n_inst, s->model->C, cfg->k, cfg->negative, s->conf_sum);
        if (bag_label) *bag_label = (int16_t)label;
        kml_emi_stream_reset_f32(s);
        result = KML_EMI_BAG_DONE;
    }
    return result;
}
