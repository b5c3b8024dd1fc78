/* kiloml/emi_q.h: EMI-RNN on the integer model, evaluated through the device's own streaming
 * code (deploy/ kml_emi_stream_q), so the figures are those of the device, bit for bit.
 *
 *   kml_emi_result r;
 *   float p = 0.99f;
 *   if (kml_emi_qevaluate(&qm, &data.test, 48, 16, 2, KML_EMI_NO_NEGATIVE, &p, 1, &r, &err)) ...
 *
 * raw: series as loaded (the integer model normalises them itself), all of the same length T;
 * each sample goes through kml_q_input, then kml_emi_push_q. p_hat[i] in (0, 1] is rounded to
 * Q15; p_hat[i] > 1 turns early exit off (the last step of each instance decides). */
#ifndef KILOML_EMI_Q_H
#define KILOML_EMI_Q_H

#include "kiloml/emi_train.h"
#include "kiloml/qmodel.h"

int kml_emi_qevaluate(const kml_qmodel *qm, const kml_dataset *raw, int window, int stride, int k, int negative,
                      const float *p_hat, int n, kml_emi_result *out, kml_error *err);

#endif
