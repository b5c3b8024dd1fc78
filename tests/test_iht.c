/* test_iht.c: IHT thresholds to the stated density, keeps ties, and freezes the support in phase III.
 * The model is assembled by hand (shapes and pointers), so only iht.c is under test. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kiloml/iht.h"
#include "kiloml/rng.h"

static void threshold_density_and_ties(void **state)
{
    (void)state;
    float w[20], s[20];
    uint8_t k[20];
    for (int i = 0; i < 20; i++) w[i] = (float)((i * 7) % 20 + 1) * (i % 2 ? -1.0f : 1.0f);
    assert_int_equal(kml_iht_threshold(w, 20, 0.3, k, s), 6);   /* ceil(0.3*20) = 6, no ties */
    for (int i = 0; i < 20; i++) {
        if (fabsf(w[i]) > 0) assert_true(fabsf(w[i]) >= 15.0f && k[i] == 1);
        else assert_int_equal(k[i], 0);
    }
    /* ties at the threshold all survive: k = ceil(0.4*5) = 2, threshold 2, four entries >= 2 */
    float t[5] = {1.0f, -2.0f, 2.0f, 2.0f, 3.0f};
    assert_int_equal(kml_iht_threshold(t, 5, 0.4, k, s), 4);
    assert_true(t[0] == 0.0f && t[1] == -2.0f && t[4] == 3.0f);
    /* density 0.2 of 45 entries is 9 (not 10 from a rounding slip) */
    float u[45], s45[45];
    uint8_t k45[45];
    for (int i = 0; i < 45; i++) u[i] = (float)(i + 1);
    assert_int_equal(kml_iht_threshold(u, 45, 0.2, k45, s45), 9);
}

typedef struct {
    kml_model m;
    float block[20 + 25 + 5 + 10];
} toy;

static void toy_model(toy *t)
{
    memset(t, 0, sizeof *t);
    t->m.cfg.cell = KML_CELL_FASTGRNN;
    t->m.cfg.D = 4; t->m.cfg.H = 5; t->m.cfg.C = 2;
    float *p = t->block;
    t->m.shape[KML_P_W].rows = 4; t->m.shape[KML_P_W].cols = 5; t->m.p[KML_P_W] = p; p += 20;
    t->m.shape[KML_P_U].rows = 5; t->m.shape[KML_P_U].cols = 5; t->m.p[KML_P_U] = p; p += 25;
    t->m.shape[KML_P_BG].rows = 1; t->m.shape[KML_P_BG].cols = 5; t->m.p[KML_P_BG] = p; p += 5;
    t->m.shape[KML_P_V].rows = 5; t->m.shape[KML_P_V].cols = 2; t->m.p[KML_P_V] = p; p += 10;
    t->m.block = t->block;
    t->m.n_params = 60;
}

/* a stand-in for an optimiser step: every entry moves by a random nonzero amount */
static void perturb(toy *t, kml_rng *r)
{
    for (int i = 0; i < 60; i++) t->block[i] += (float)(kml_rng_uniform(r) + 0.01) * (i % 3 ? 1.f : -1.f);
}

static size_t nnz(const float *w, int n)
{
    size_t c = 0;
    for (int i = 0; i < n; i++) c += w[i] != 0.0f;
    return c;
}

static void phases_and_frozen_support(void **state)
{
    (void)state;
    toy t;
    toy_model(&t);
    kml_rng r;
    kml_rng_seed(&r, 3);
    perturb(&t, &r);
    assert_int_equal(kml_iht_mask_bytes(&t.m), 45);
    assert_int_equal(kml_iht_scratch_floats(&t.m), 25);
    uint8_t mask[45];
    float scratch[25];
    kml_iht h;
    kml_iht_init(&h, &t.m, 0.2, 0.32, 90, mask, scratch);
    float *W = t.m.p[KML_P_W], *U = t.m.p[KML_P_U];
    uint8_t frozen[45];
    for (long step = 0; step < 90; step++) {
        perturb(&t, &r);
        kml_iht_after_step(&h, &t.m, step);
        int ph = kml_iht_phase(&h, step);
        assert_int_equal(ph, step < 30 ? 0 : step < 60 ? 1 : 2);
        if (ph == 0) {
            assert_int_equal(nnz(W, 20), 20);
        } else {
            assert_int_equal(nnz(W, 20), 4);    /* ceil(0.2*20) */
            assert_int_equal(nnz(U, 25), 8);    /* ceil(0.32*25) */
        }
        if (step == 59) memcpy(frozen, mask, sizeof frozen);
        if (ph == 2) {
            /* support frozen: exactly the entries of the last phase-II support are nonzero */
            for (int i = 0; i < 20; i++) assert_int_equal(W[i] != 0.0f, frozen[i]);
            for (int i = 0; i < 25; i++) assert_int_equal(U[i] != 0.0f, frozen[20 + i]);
        }
        /* biases and classifier never pruned */
        assert_int_equal(nnz(t.m.p[KML_P_BG], 5), 5);
        assert_int_equal(nnz(t.m.p[KML_P_V], 10), 10);
    }
    /* phase II thresholds at steps 30 and 45 only */
    assert_int_equal(h.thresholds, 2);
    assert_int_equal(kml_model_nnz(&t.m), 4 + 8 + 5 + 10);
}

static void density_one_disables(void **state)
{
    (void)state;
    toy t;
    toy_model(&t);
    kml_rng r;
    kml_rng_seed(&r, 4);
    uint8_t mask[45];
    float scratch[25];
    kml_iht h;
    kml_iht_init(&h, &t.m, 1.0, 1.0, 30, mask, scratch);
    for (long step = 0; step < 30; step++) {
        perturb(&t, &r);
        kml_iht_after_step(&h, &t.m, step);
        assert_int_equal(kml_iht_phase(&h, step), 0);
    }
    assert_int_equal(kml_model_nnz(&t.m), 60);
    /* only W pruned when sU = 1 */
    kml_iht_init(&h, &t.m, 0.5, 1.0, 30, mask, scratch);
    for (long step = 0; step < 30; step++) {
        perturb(&t, &r);
        kml_iht_after_step(&h, &t.m, step);
    }
    assert_int_equal(nnz(t.m.p[KML_P_W], 20), 10);
    assert_int_equal(nnz(t.m.p[KML_P_U], 25), 25);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(threshold_density_and_ties),
        cmocka_unit_test(phases_and_frozen_support),
        cmocka_unit_test(density_one_disables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
