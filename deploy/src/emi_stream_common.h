/* emi_stream_common.h: the streaming schedule shared by the float (emi_stream_f32.c) and the
 * integer (emi_stream_q.c) EMI-RNN streams (kiloml/emi.h): configuration checks and buffer set-up,
 * the ring of one window, instances run as their window completes, the short last windows at the
 * end of the bag, the bag decision. Included once by each of the two files, after it defines
 *   KML_S_(name)   name##_f32 or name##_q (public names and types)
 *   KML_ELEM_      float / int16_t (raw samples)
 *   KML_CBUF_      float / int32_t (cbuf: logits, probabilities, confidence sums)
 *   KML_CONF_      float / uint32_t (confidence sums)
 * and these static functions of its own arithmetic:
 *   static int logits_ok_(const KML_S_(kml_rnn) *m)              the model's logits suit the test
 *   static int confident_(KML_S_(kml_emi_stream) *s, int *cls)  after a step: top class, and
 *                                                                whether the instance may stop
 *   static void add_conf_(KML_S_(kml_emi_stream) *s)             the exit step's probabilities
 *                                                                into prob and conf_sum
 *   static int decide_(const KML_S_(kml_emi_stream) *s)          the bag label
 * Dimension letters: D input features, C classes, W window, T samples per bag. */
#ifndef KML_S_
#error "define KML_S_ and the other parameters before including emi_stream_common.h"
#endif

void KML_S_(kml_emi_stream_reset)(KML_S_(kml_emi_stream) *s)
{
    uint16_t c;
    s->t = 0;
    s->done = 0;
    for (c = 0; c < s->model->C; c++) s->conf_sum[c] = 0;
}

/* The checks and the set-up of both init functions (the caller adds its confidence setting and
 * starts the first bag). */
static kml_status attach(KML_S_(kml_emi_stream) *s, const KML_S_(kml_rnn) *m, const kml_emi_cfg *cfg, KML_ELEM_ *ring,
                         KML_ELEM_ *h, uint16_t h_elems, KML_ELEM_ *scratch, uint16_t scratch_elems, KML_CBUF_ *cbuf,
                         uint8_t *pred)
{
    kml_status st;
    if (!s || !m || !cfg || !ring || !h || !scratch || !cbuf || !pred) return KML_E_NULL;
    st = KML_S_(kml_rnn_validate)(m);
    if (st != KML_OK) return st;
    if (cfg->n_inst == 0 || cfg->n_inst != kml_emi_count(cfg->T, cfg->window, cfg->stride) || cfg->k == 0 ||
        m->C > 255 || cfg->negative < KML_EMI_NO_NEGATIVE || cfg->negative >= (int16_t)m->C || !logits_ok_(m))
        return KML_E_DIMS;
    if (h_elems < KML_RNN_STATE_ELEMS(m->H) || scratch_elems < KML_S_(kml_rnn_scratch_elems)(m)) return KML_E_SCRATCH;
    s->model = m;
    s->cfg.T = cfg->T; /* field by field: a struct copy may call memcpy, which deploy/ does not assume */
    s->cfg.window = cfg->window;
    s->cfg.stride = cfg->stride;
    s->cfg.n_inst = cfg->n_inst;
    s->cfg.k = cfg->k;
    s->cfg.negative = cfg->negative;
    s->ring = ring;
    s->st.h = h;
    s->st.n = h_elems;
    s->sc.buf = scratch;
    s->sc.n = scratch_elems;
    s->logits = cbuf;
    s->prob = cbuf + m->C;
    s->conf_sum = (KML_CONF_ *)(cbuf + 2u * m->C);
    s->pred = pred;
    s->steps_run = 0;
    s->steps_full = 0;
    s->last_steps = 0;
    return KML_OK;
}

/* Instance j from the ring: its valid samples are [j·stride, min(j·stride + window, t)). */
static void run_instance(KML_S_(kml_emi_stream) *s, uint8_t j)
{
    const KML_S_(kml_rnn) *m = s->model;
    const uint16_t W = s->cfg.window, start = (uint16_t)(j * s->cfg.stride);
    uint16_t len = (uint16_t)(s->t - start), i;
    int cls = 0;
    if (len > W) len = W;
    KML_S_(kml_rnn_reset)(m, &s->st);
    for (i = 0; i < len; i++) {
        uint16_t slot = (uint16_t)((uint16_t)(start + i) % W);
        KML_S_(kml_rnn_step)(m, s->ring + (uint32_t)slot * m->D, &s->st, &s->sc);
        KML_S_(kml_rnn_logits)(m, &s->st, s->logits);
        if (confident_(s, &cls)) {
            i++;
            break;
        }
    }
    s->pred[j] = (uint8_t)cls;
    add_conf_(s);
    s->last_steps = i;
    s->steps_run += i;
    s->steps_full += len;
}

int KML_S_(kml_emi_push)(KML_S_(kml_emi_stream) *s, const KML_ELEM_ *x_raw, int16_t *bag_label)
{
    const kml_emi_cfg *cfg = &s->cfg;
    const uint16_t D = s->model->D;
    KML_ELEM_ *dst = s->ring + (uint32_t)(s->t % cfg->window) * D;
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
        label = decide_(s);
        if (bag_label) *bag_label = (int16_t)label;
        KML_S_(kml_emi_stream_reset)(s);
        result = KML_EMI_BAG_DONE;
    }
    return result;
}
