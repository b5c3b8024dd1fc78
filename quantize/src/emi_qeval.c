/* emi_qeval.c: EMI-RNN accuracy and savings of an integer model, streamed sample by sample
 * through deploy/'s kml_emi_stream_q (kiloml/emi_q.h). */
#include "kiloml/emi_q.h"

#include <math.h>
#include <stdlib.h>

int kml_emi_qevaluate(const kml_qmodel *qm, const kml_dataset *raw, int window, int stride, int k, int negative,
                      const float *p_hat, int n, kml_emi_result *out, kml_error *err)
{
    const kml_rnn_q *m = &qm->q;
    const int T = raw->T, D = raw->F;
    if (D != m->D)
        return kml_error_set(err, "EMI integer evaluation: the data has %d features, the model expects %d", D, m->D);
    if (raw->len)
        for (int i = 0; i < raw->n; i++)
            if (raw->len[i] != T)
                return kml_error_set(err, "EMI integer evaluation: series %d has %d valid steps of %d; the stream "
                                          "needs series of one length",
                                     i, (int)raw->len[i], T);
    if (T > 65535 || window > 65535 || stride > 65535 || k > 255)
        return kml_error_set(err, "EMI integer evaluation: T %d, window %d, stride %d, k %d out of range", T, window,
                             stride, k);
    kml_emi_cfg cfg = {(uint16_t)T, (uint16_t)window, (uint16_t)stride, 0, (uint8_t)k, (int16_t)negative};
    cfg.n_inst = kml_emi_count(cfg.T, cfg.window, cfg.stride);
    if (cfg.n_inst == 0)
        return kml_error_set(err, "EMI integer evaluation: T %d, window %d, stride %d give no valid bag", T, window,
                             stride);
    const uint16_t sc_n = kml_rnn_scratch_elems_q(m);
    int16_t *ring = malloc(sizeof(int16_t) * (size_t)window * D), *h = malloc(sizeof(int16_t) * m->H);
    int16_t *scratch = malloc(sizeof(int16_t) * (sc_n + 1u)), *x = malloc(sizeof(int16_t) * (size_t)D);
    int32_t *cbuf = malloc(sizeof(int32_t) * KML_EMI_CBUF_ELEMS(m->C));
    uint8_t *pred = malloc(cfg.n_inst);
    int rc = -1;
    if (!ring || !h || !scratch || !x || !cbuf || !pred) {
        kml_error_set(err, "EMI integer evaluation: out of memory");
        goto done;
    }
    for (int s = 0; s < n; s++) {
        uint16_t p_q15 = 0; /* off */
        if (p_hat[s] <= 1.0f) {
            long v = lrint((double)p_hat[s] * 32768.0);
            p_q15 = (uint16_t)(v < 1 ? 1 : (v > 32768 ? 32768 : v));
        }
        kml_emi_stream_q st;
        kml_status status = kml_emi_stream_init_q(&st, m, &cfg, p_q15, ring, h, m->H, scratch, sc_n, cbuf, pred);
        if (status != KML_OK) {
            kml_error_set(err, "EMI integer evaluation: the device stream refuses the model or settings (%s)",
                          kml_status_name(status));
            goto done;
        }
        int correct = 0;
        for (int i = 0; i < raw->n; i++) {
            int16_t label = -1;
            for (int t = 0; t < T; t++) {
                const float *src = raw->X + ((size_t)i * T + t) * D;
                for (int f = 0; f < D; f++) x[f] = kml_q_input(src[f], m->q_in);
                kml_emi_push_q(&st, x, &label);
            }
            correct += label == raw->y[i];
        }
        out[s].p_hat = p_hat[s];
        out[s].accuracy = raw->n ? (double)correct / raw->n : 0.0;
        out[s].steps_run = st.steps_run;
        out[s].steps_total = st.steps_full;
        out[s].savings = kml_emi_savings_of(window, T, st.steps_run, st.steps_full);
    }
    rc = 0;
done:
    free(ring);
    free(h);
    free(scratch);
    free(x);
    free(cbuf);
    free(pred);
    return rc;
}
