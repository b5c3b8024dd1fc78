/* kiloml_glue.h: the exported model, seen from the sketch (C++) through a small C interface.
 * The model header itself is C99 (designated initializers), so it is compiled in kiloml_glue.c. */
#ifndef KILOML_GLUE_H
#define KILOML_GLUE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

uint16_t kiloml_features(void);   /* D: values per time step */
uint16_t kiloml_test_steps(void); /* length of the header's self-check window */
int kiloml_begin(void);           /* validate the model, h = 0; 0 on success (else a kml_status) */
void kiloml_reset(void);          /* h = 0: start a new window */
/* One time step. x: D raw sensor values; integer model: int16 in the model's input format
 * (Q <PREFIX>_Q_IN), float model: the same int16 values divided by 2^8 (see kiloml_glue.c). */
void kiloml_step(const int16_t *x);
uint16_t kiloml_classify(void);   /* logits of the current state, then the arg max */
/* Run the header's own test window; 1 when the class and logits match the exported ones. */
int kiloml_self_check(void);

#ifdef __cplusplus
}
#endif

#endif
