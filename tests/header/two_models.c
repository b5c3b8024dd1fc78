/* two_models.c: three exported headers (tests/header/gen_headers.c) in ONE program, built as C99
 * -pedantic against deploy/ alone. Each model runs on its own self-check vector, exactly as a
 * firmware would (reading the vector from flash through KML_READ_*): integer logits must match
 * bit for bit, float logits within <PREFIX>_TEST_TOL, and the classes must agree. Exit 0 = pass. */
#include <stdio.h>

#include "GA.h"
#include "QB.h"
#include "QR.h"

static int failures;

#define CHECK(cond, ...)                                \
    do {                                                \
        if (!(cond)) {                                  \
            printf("FAIL %s:%d: ", __FILE__, __LINE__); \
            printf(__VA_ARGS__);                        \
            printf("\n");                               \
            failures++;                                 \
        }                                               \
    } while (0)

#define RUN_Q(P)                                                                                       \
    do {                                                                                               \
        static P##_elem_t h[P##_STATE_ELEMS], buf[P##_SCRATCH_ELEMS], x[P##_D];                        \
        P##_logit_t logits[P##_C];                                                                     \
        kml_rnn_state_q st = {h, P##_STATE_ELEMS};                                                     \
        kml_rnn_scratch_q sc = {buf, P##_SCRATCH_ELEMS};                                               \
        CHECK(kml_rnn_init_q(&P##_model, &st, &sc) == KML_OK, #P " init");                             \
        for (int t = 0; t < P##_TEST_T; t++) {                                                         \
            for (int i = 0; i < P##_D; i++) x[i] = KML_READ_I16(P##_test_x + t * P##_D + i);           \
            kml_rnn_step_q(&P##_model, x, &st, &sc);                                                   \
        }                                                                                              \
        kml_rnn_logits_q(&P##_model, &st, logits);                                                     \
        for (int k = 0; k < P##_C; k++)                                                                \
            CHECK(logits[k] == KML_READ_I32(P##_test_logits + k), #P " logit %d: %ld vs %ld", k,      \
                  (long)logits[k], (long)KML_READ_I32(P##_test_logits + k));                           \
        CHECK(kml_argmax_q32(logits, P##_C) == P##_TEST_CLASS, #P " class");                           \
        CHECK(P##_FLASH_BYTES == kml_rnn_flash_bytes_q(&P##_model) + sizeof(kml_rnn_q), #P " flash"); \
        CHECK(P##_RAM_BYTES == 2 * (P##_STATE_ELEMS + P##_SCRATCH_ELEMS), #P " ram");                  \
        printf(#P ": %s integer, class %d, flash %lu B, ram %lu B\n", P##_TARGET, P##_TEST_CLASS,      \
               (unsigned long)P##_FLASH_BYTES, (unsigned long)P##_RAM_BYTES);                          \
    } while (0)

int main(void)
{
    RUN_Q(QB);
    RUN_Q(QR);
    {
        static GA_elem_t h[GA_STATE_ELEMS], buf[GA_SCRATCH_ELEMS], x[GA_D];
        GA_logit_t logits[GA_C];
        kml_rnn_state_f32 st = {h, GA_STATE_ELEMS};
        kml_rnn_scratch_f32 sc = {buf, GA_SCRATCH_ELEMS};
        CHECK(kml_rnn_init_f32(&GA_model, &st, &sc) == KML_OK, "GA init");
        CHECK(GA_model.W.a.layout == KML_MAT_SPARSE && GA_model.U.a.layout == KML_MAT_SPARSE, "GA sparse W1/U");
        for (int t = 0; t < GA_TEST_T; t++) {
            for (int i = 0; i < GA_D; i++) x[i] = KML_READ_F32(GA_test_x + t * GA_D + i);
            kml_rnn_step_f32(&GA_model, x, &st, &sc);
        }
        kml_rnn_logits_f32(&GA_model, &st, logits);
        for (int k = 0; k < GA_C; k++) {
            float d = logits[k] - KML_READ_F32(GA_test_logits + k);
            CHECK(d < GA_TEST_TOL && d > -GA_TEST_TOL, "GA logit %d", k);
        }
        CHECK(kml_argmax_f32(logits, GA_C) == GA_TEST_CLASS, "GA class");
        CHECK(GA_FLASH_BYTES == kml_rnn_flash_bytes_f32(&GA_model) + sizeof(kml_rnn_f32), "GA flash");
        printf("GA: %s float, class %d, flash %lu B, ram %lu B\n", GA_TARGET, GA_TEST_CLASS, (unsigned long)GA_FLASH_BYTES,
               (unsigned long)GA_RAM_BYTES);
    }
    /* the two integer models share no state: running QB again gives the same answer after QR */
    RUN_Q(QB);
    printf(failures ? "FAILED (%d)\n" : "all three models pass\n", failures);
    return failures ? 1 : 0;
}
