/* fsdd_fixture.h: shared by the tests that train on the shipped spoken-digit set (datasets/fsdd):
 * a seeded random subset of its training and test clips, each clip given its real length. */
#ifndef KML_TESTS_FSDD_FIXTURE_H
#define KML_TESTS_FSDD_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiloml/dataset.h"
#include "kiloml/rng.h"

#define FSDD KML_SOURCE_DIR "/datasets/fsdd/fsdd_logmel.h5"

/* Fill *out with ntr training clips (shuffled with seed) and the first nte test clips (fewer if the
 * set has fewer). FSDD pads clips to 99 frames with log(1e-10) = -23.03: each clip gets its real
 * length, so a classifier reads the state at the end of the speech (padding steps are never trained
 * on). who names the test program in the message printed when the set cannot be read. 0 / -1. */
static inline int kml_test_fsdd_load(kml_data *out, uint64_t seed, int ntr, int nte, const char *who)
{
    kml_data_opts o;
    kml_data_opts_init(&o);
    o.path = FSDD;
    kml_data all;
    kml_error err;
    if (kml_data_load(&o, &all, &err)) {
        fprintf(stderr, "%s: cannot load %s: %s\n", who, FSDD, err.msg);
        return -1;
    }
    int *idx = malloc((size_t)all.train.n * sizeof(int));
    for (int i = 0; i < all.train.n; i++) idx[i] = i;
    kml_rng r;
    kml_rng_seed(&r, seed);
    kml_rng_shuffle(&r, idx, all.train.n);
    memset(out, 0, sizeof *out);
    out->C = all.C;
    if (kml_dataset_subset(&all.train, idx, ntr, &out->train, &err)) return -1;
    for (int i = 0; i < nte; i++) idx[i] = i;
    if (kml_dataset_subset(&all.test, idx, nte < all.test.n ? nte : all.test.n, &out->test, &err)) return -1;
    free(idx);
    kml_data_free(&all);
    kml_dataset *parts[2] = {&out->train, &out->test};
    for (int k = 0; k < 2; k++) {
        kml_dataset *d = parts[k];
        d->len = malloc((size_t)d->n * sizeof(int32_t));
        for (int i = 0; i < d->n; i++) {
            int L = 1;
            for (int t = 0; t < d->T; t++)
                for (int f = 0; f < d->F; f++)
                    if (d->X[((size_t)i * d->T + t) * d->F + f] > -23.0f) L = t + 1;
            d->len[i] = L;
        }
    }
    return 0;
}

#endif
