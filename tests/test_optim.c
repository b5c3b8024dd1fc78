/* test_optim.c: Adam and Nesterov on worked examples; clipping; non-finite steps skipped; lr decay. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "kiloml/optim.h"

static void adam_two_steps(void **state)
{
    (void)state;
    kml_optim_config c;
    kml_optim_config_init(&c);
    c.clip = 0;
    float st[2], p[1] = {0.0f}, g[1] = {1.0f};
    kml_optim o;
    kml_optim_init(&o, &c, 1, st);
    assert_int_equal(kml_optim_step(&o, p, g, 0.1), 1);
    /* first step: mhat = g, vhat = g^2, update = lr * g / (|g| + eps) = 0.1 */
    assert_float_equal(p[0], -0.1f, 1e-6f);
    g[0] = -1.0f;
    assert_int_equal(kml_optim_step(&o, p, g, 0.1), 1);
    /* m = 0.09 - 0.1 = -0.01, mhat = -0.01/0.19; v = 0.000999 + 0.001, vhat = 1 */
    assert_float_equal(p[0], -0.1f + 0.1f * 0.01f / 0.19f, 1e-6f);
    assert_int_equal(o.t, 2);
}

static void nesterov_two_steps(void **state)
{
    (void)state;
    kml_optim_config c;
    kml_optim_config_init(&c);
    c.kind = KML_OPT_NESTEROV;
    c.clip = 0;
    assert_int_equal(kml_optim_state_floats(&c, 3), 3);
    float st[1], p[1] = {1.0f}, g[1] = {2.0f};
    kml_optim o;
    kml_optim_init(&o, &c, 1, st);
    kml_optim_step(&o, p, g, 0.1);      /* buf 2, p -= 0.1 * (2 + 1.8) */
    assert_float_equal(p[0], 0.62f, 1e-6f);
    kml_optim_step(&o, p, g, 0.1);      /* buf 3.8, p -= 0.1 * (2 + 3.42) */
    assert_float_equal(p[0], 0.078f, 1e-6f);
}

static void clipping_scales_to_norm(void **state)
{
    (void)state;
    kml_optim_config c;
    kml_optim_config_init(&c);
    c.kind = KML_OPT_NESTEROV;
    c.momentum = 0;
    c.clip = 1.0;
    float st[2], p[2] = {0, 0}, g[2] = {3.0f, 4.0f};
    kml_optim o;
    kml_optim_init(&o, &c, 2, st);
    kml_optim_step(&o, p, g, 1.0);
    assert_float_equal(p[0], -0.6f, 1e-6f);
    assert_float_equal(p[1], -0.8f, 1e-6f);
    assert_float_equal(o.last_norm, 5.0, 1e-9);
    assert_int_equal(o.clipped, 1);
    /* below the threshold: untouched gradient */
    g[0] = 0.3f; g[1] = 0.4f;
    kml_optim_step(&o, p, g, 1.0);
    assert_float_equal(p[0], -0.9f, 1e-6f);
    assert_int_equal(o.clipped, 1);
}

static void nonfinite_step_skipped(void **state)
{
    (void)state;
    kml_optim_config c;
    kml_optim_config_init(&c);   /* Adam, clip 5 */
    float st[4], p[2] = {0.5f, -0.5f}, g[2] = {1.0f, INFINITY};
    kml_optim o;
    kml_optim_init(&o, &c, 2, st);
    assert_int_equal(kml_optim_step(&o, p, g, 0.01), 0);
    assert_int_equal(o.skipped, 1);
    assert_int_equal(o.t, 0);
    assert_true(p[0] == 0.5f && p[1] == -0.5f);
    assert_true(st[0] == 0.0f && st[2] == 0.0f);   /* moments untouched */
    g[1] = NAN;
    assert_int_equal(kml_optim_step(&o, p, g, 0.01), 0);
    assert_int_equal(o.skipped, 2);
    /* a finite step after that still moves (clipping inf would have zeroed everything) */
    g[1] = 1.0f;
    assert_int_equal(kml_optim_step(&o, p, g, 0.01), 1);
    assert_float_equal(p[0], 0.49f, 1e-6f);
    assert_float_equal(p[1], -0.51f, 1e-6f);
}

static void lr_decay_schedule(void **state)
{
    (void)state;
    kml_optim_config c;
    kml_optim_config_init(&c);
    assert_float_equal(kml_optim_lr(&c, 199, 300), 1e-2, 1e-12);
    assert_float_equal(kml_optim_lr(&c, 200, 300), 1e-3, 1e-12);
    assert_float_equal(kml_optim_lr(&c, 0, 1), 1e-2, 1e-12);   /* 2/3 of 1 epoch = 0: never */
    c.decay_epoch = 0;
    assert_float_equal(kml_optim_lr(&c, 299, 300), 1e-2, 1e-12);
    c.decay_epoch = 5;
    c.decay_factor = 0.5;
    assert_float_equal(kml_optim_lr(&c, 5, 300), 5e-3, 1e-12);
    kml_opt_kind k;
    assert_int_equal(kml_optim_parse("nesterov", &k), 0);
    assert_int_equal(k, KML_OPT_NESTEROV);
    assert_int_equal(kml_optim_parse("rmsprop", &k), -1);
}

/* Decoupled weight decay: with a zero gradient each step multiplies every weight by (1 - lr*wd),
 * for Adam and Nesterov alike; a skipped (non-finite) step leaves the weights alone; wd 0 is off. */
static void weight_decay_shrinks_weights(void **state)
{
    (void)state;
    for (int kind = 0; kind < 2; kind++) {
        kml_optim_config c;
        kml_optim_config_init(&c);
        c.kind = kind ? KML_OPT_NESTEROV : KML_OPT_ADAM;
        c.clip = 0;
        c.weight_decay = 0.5;
        float st[4], p[2] = {2.0f, -4.0f}, g[2] = {0.0f, 0.0f};
        kml_optim o;
        kml_optim_init(&o, &c, 2, st);
        assert_int_equal(kml_optim_step(&o, p, g, 0.1), 1);
        assert_float_equal(p[0], 2.0f * 0.95f, 1e-6f);
        assert_float_equal(p[1], -4.0f * 0.95f, 1e-6f);
        assert_int_equal(kml_optim_step(&o, p, g, 0.2), 1);
        assert_float_equal(p[0], 2.0f * 0.95f * 0.9f, 1e-6f);
        g[1] = NAN;
        assert_int_equal(kml_optim_step(&o, p, g, 0.2), 0);
        assert_float_equal(p[0], 2.0f * 0.95f * 0.9f, 1e-6f);
        /* with a mask only the marked weights decay */
        static const unsigned char only_second[2] = {0, 1};
        o.decay_mask = only_second;
        float r[2] = {1.0f, 1.0f};
        assert_int_equal(kml_optim_step(&o, r, (float[2]){0.0f, 0.0f}, 0.1), 1);
        assert_float_equal(r[0], 1.0f, 0.0f);
        assert_float_equal(r[1], 0.95f, 1e-6f);
        /* wd 0: a zero gradient moves nothing */
        c.weight_decay = 0.0;
        float q[1] = {3.0f}, h[1] = {0.0f};
        kml_optim_init(&o, &c, 1, st);
        kml_optim_step(&o, q, h, 0.1);
        assert_float_equal(q[0], 3.0f, 0.0f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(adam_two_steps),
        cmocka_unit_test(nesterov_two_steps),
        cmocka_unit_test(clipping_scales_to_norm),
        cmocka_unit_test(nonfinite_step_skipped),
        cmocka_unit_test(lr_decay_schedule),
        cmocka_unit_test(weight_decay_shrinks_weights),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
