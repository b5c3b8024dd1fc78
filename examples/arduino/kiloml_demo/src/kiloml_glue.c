/* kiloml_glue.c: runs the header `kiloml export --name KML_MODEL -o src/model.h` wrote, with the
 * runtime copied from deploy/ into src/ (see ../README.md). Integer and float models alike. */
#include "kiloml_glue.h"

#include "kiloml/deploy.h"
#include "model.h"

#if KML_MODEL_IS_INTEGER
typedef int16_t elem_t;
typedef int32_t logit_t;
static kml_rnn_state_q st;
static kml_rnn_scratch_q sc;
#define RNN(fn) kml_rnn_##fn##_q
#define ARGMAX kml_argmax_q32
#define READ_X(p) KML_READ_I16(p)
#else
typedef float elem_t;
typedef float logit_t;
static kml_rnn_state_f32 st;
static kml_rnn_scratch_f32 sc;
#define RNN(fn) kml_rnn_##fn##_f32
#define ARGMAX kml_argmax_f32
#define READ_X(p) KML_READ_F32(p)
#endif

static elem_t h[KML_MODEL_STATE_ELEMS];
static elem_t scratch[KML_MODEL_SCRATCH_ELEMS];
static elem_t x[KML_MODEL_D];
static logit_t logits[KML_MODEL_C];

uint16_t kiloml_features(void) { return KML_MODEL_D; }
uint16_t kiloml_test_steps(void) { return KML_MODEL_TEST_T; }

int kiloml_begin(void)
{
    st.h = h;
    st.n = KML_MODEL_STATE_ELEMS;
    sc.buf = scratch;
    sc.n = KML_MODEL_SCRATCH_ELEMS;
    return (int)RNN(init)(&KML_MODEL_model, &st, &sc);
}

void kiloml_reset(void) { RNN(reset)(&KML_MODEL_model, &st); }

void kiloml_step(const int16_t *raw)
{
    for (uint16_t i = 0; i < KML_MODEL_D; i++) {
#if KML_MODEL_IS_INTEGER
        x[i] = raw[i];
#else
        x[i] = (float)raw[i] * (1.0f / 256.0f);
#endif
    }
    RNN(step)(&KML_MODEL_model, x, &st, &sc);
}

uint16_t kiloml_classify(void)
{
    RNN(logits)(&KML_MODEL_model, &st, logits);
    return ARGMAX(logits, KML_MODEL_C);
}

int kiloml_self_check(void)
{
    RNN(reset)(&KML_MODEL_model, &st);
    for (uint16_t t = 0; t < KML_MODEL_TEST_T; t++) {
        for (uint16_t i = 0; i < KML_MODEL_D; i++) x[i] = READ_X(KML_MODEL_test_x + (uint32_t)t * KML_MODEL_D + i);
        RNN(step)(&KML_MODEL_model, x, &st, &sc);
    }
    uint16_t cls = kiloml_classify();
    int ok = cls == KML_MODEL_TEST_CLASS;
    for (uint16_t k = 0; k < KML_MODEL_C; k++) {
#if KML_MODEL_IS_INTEGER
        if (logits[k] != KML_READ_I32(KML_MODEL_test_logits + k)) ok = 0;
#else
        float d = logits[k] - KML_READ_F32(KML_MODEL_test_logits + k);
        if (d > KML_MODEL_TEST_TOL || d < -KML_MODEL_TEST_TOL) ok = 0;
#endif
    }
    RNN(reset)(&KML_MODEL_model, &st);
    return ok;
}
