/* train_config.c: defaults of the trainer's configuration and summary (SPEC §2). */
#include "kiloml/trainer.h"

#include <string.h>

void kml_train_config_init(kml_train_config *c)
{
    memset(c, 0, sizeof *c);
    c->model.cell = KML_CELL_FASTGRNN;
    c->model.H = 32;
    c->model.gate_nl = KML_NL_SIGMOID;
    c->model.update_nl = KML_NL_TANH;
    kml_optim_config_init(&c->optim);
    c->epochs = 300;
    c->batch = 100;
    c->density_w = 1.0;
    c->density_u = 1.0;
    c->val_frac = 0.1;
    c->seed = 0;
    c->normalize = 1;
    c->norm_mode = KML_NORM_PER_FEATURE;
    c->distill_temp = 2.0;
}

void kml_train_summary_init(kml_train_summary *s)
{
    memset(s, 0, sizeof *s);
    s->val_accuracy = -1.0;
    s->test_accuracy = -1.0;
    s->density_w = 1.0;
    s->density_u = 1.0;
}
