/* split.c: seeded stratified and group-wise splits of a dataset. */
#include "kiloml/dataset.h"
#include "kiloml/rng.h"
#include "load_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int kml_stratified_pick(const int32_t *y, int n, int C, double frac, uint64_t seed, unsigned char *pick)
{
    int *idx = malloc((size_t)(n ? n : 1) * sizeof *idx);
    if (!idx) return -1;
    kml_rng r;
    kml_rng_seed(&r, seed);
    memset(pick, 0, (size_t)n);
    int total = 0;
    for (int c = 0; c < C; c++) {
        int m = 0;
        for (int i = 0; i < n; i++)
            if (y[i] == c) idx[m++] = i;
        if (m == 0) continue;
        kml_rng_shuffle(&r, idx, m);
        int k = (int)floor(frac * m + 0.5);
        if (k > m - 1) k = m - 1;
        for (int j = 0; j < k; j++) pick[idx[j]] = 1;
        total += k;
    }
    free(idx);
    return total;
}

/* Split rows by pick[] into (unpicked -> a, picked -> b), both in the original order. */
static int split_by_pick(const kml_dataset *all, const unsigned char *pick, kml_dataset *a, kml_dataset *b,
                         kml_error *err)
{
    int n = all->n;
    int *ia = malloc((size_t)(n ? n : 1) * sizeof *ia), *ib = malloc((size_t)(n ? n : 1) * sizeof *ib);
    if (!ia || !ib) {
        free(ia);
        free(ib);
        return kml_error_set(err, "split: out of memory for %d series", n);
    }
    int na = 0, nb = 0;
    for (int i = 0; i < n; i++) {
        if (pick[i]) ib[nb++] = i;
        else ia[na++] = i;
    }
    kml_dataset ta = {0}, tb = {0};
    int rc = kml_dataset_subset(all, ia, na, &ta, err);
    if (rc == 0) rc = kml_dataset_subset(all, ib, nb, &tb, err);
    free(ia);
    free(ib);
    if (rc) {
        kml_dataset_free(&ta);
        return -1;
    }
    *a = ta;
    *b = tb;
    return 0;
}

static int cmp_i32(const void *x, const void *y)
{
    int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
    return (a > b) - (a < b);
}

int kml_split_validation(const kml_dataset *all, int C, double frac, uint64_t seed, int by_group,
                         kml_dataset *fit, kml_dataset *val, kml_error *err)
{
    if (!(frac > 0.0 && frac < 1.0))
        return kml_error_set(err, "validation split: fraction %g, expected strictly between 0 and 1", frac);
    int n = all->n;
    if (n < 2) return kml_error_set(err, "validation split: %d series, expected at least 2", n);
    unsigned char *pick = malloc((size_t)n);
    if (!pick) return kml_error_set(err, "validation split: out of memory");
    if (by_group && all->group) {
        /* distinct groups, sorted, then shuffled with the seed: whole groups go to validation until frac */
        int32_t *g = malloc((size_t)n * sizeof *g);
        if (!g) {
            free(pick);
            return kml_error_set(err, "validation split: out of memory");
        }
        memcpy(g, all->group, (size_t)n * sizeof *g);
        qsort(g, (size_t)n, sizeof *g, cmp_i32);
        int ng = 0;
        for (int i = 0; i < n; i++)
            if (i == 0 || g[i] != g[ng - 1]) g[ng++] = g[i];
        if (ng < 2) {
            free(g);
            free(pick);
            return kml_error_set(err, "validation split by group: only %d distinct group(s); expected at least 2", ng);
        }
        int *order = malloc((size_t)ng * sizeof *order);
        if (!order) {
            free(g);
            free(pick);
            return kml_error_set(err, "validation split: out of memory");
        }
        for (int i = 0; i < ng; i++) order[i] = i;
        kml_rng r;
        kml_rng_seed(&r, seed);
        kml_rng_shuffle(&r, order, ng);
        memset(pick, 0, (size_t)n);
        double want = frac * n;
        int taken = 0;
        /* take groups in shuffled order until frac of the series is reached; never take the last group */
        for (int k = 0; k < ng - 1 && taken < want; k++) {
            int32_t gid = g[order[k]];
            for (int i = 0; i < n; i++)
                if (all->group[i] == gid) {
                    pick[i] = 1;
                    taken++;
                }
        }
        free(order);
        free(g);
    } else {
        if (by_group && !all->group) {
            free(pick);
            return kml_error_set(err, "validation split by group: the data has no group ids (use --group NAME for "
                                      "HDF5 or --group-col K for CSV)");
        }
        int k = kml_stratified_pick(all->y, n, C, frac, seed, pick);
        if (k < 0) {
            free(pick);
            return kml_error_set(err, "validation split: out of memory");
        }
        if (k == 0) {
            free(pick);
            return kml_error_set(err, "validation split: a fraction %g of %d series leaves no validation series", frac,
                                 n);
        }
    }
    int rc = split_by_pick(all, pick, fit, val, err);
    free(pick);
    return rc;
}
