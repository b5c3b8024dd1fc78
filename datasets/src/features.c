/* features.c: --features, a chosen subset (and order) of the input features. */
#include "kiloml/dataset.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

static int read_index(const char **p, long *v)
{
    char *end = NULL;
    if (**p < '0' || **p > '9') return -1;
    errno = 0;
    *v = strtol(*p, &end, 10);
    if (errno || *v > INT_MAX) return -1;
    *p = end;
    return 0;
}

int kml_features_parse(const char *spec, int F, int **idx, int *n, kml_error *err)
{
    *idx = NULL;
    *n = 0;
    if (!spec || !*spec)
        return kml_error_set(err, "--features: expected 0-based feature indices or ranges like '0-5,9', got ''");
    int cap = 0, *out = NULL;
    unsigned char *seen = F > 0 ? calloc((size_t)F, 1) : NULL;
    if (F > 0 && !seen) return kml_error_set(err, "--features: out of memory");
    const char *p = spec;
    int rc = 0;
    while (*p && rc == 0) {
        long a, b;
        if (read_index(&p, &a)) {
            rc = kml_error_set(err, "--features: expected 0-based feature indices or ranges like '0-5,9', got '%s'",
                               spec);
            break;
        }
        b = a;
        if (*p == '-') {
            p++;
            if (read_index(&p, &b) || b < a) {
                rc = kml_error_set(err, "--features '%s': a range is a-b with a <= b", spec);
                break;
            }
        }
        if (*p == ',') {
            p++;
            if (!*p) rc = kml_error_set(err, "--features: trailing comma in '%s'", spec);
        } else if (*p) {
            rc = kml_error_set(err, "--features: expected 0-based feature indices or ranges like '0-5,9', got '%s'",
                               spec);
        }
        if (rc || F <= 0) continue;
        if (b >= F) {
            rc = kml_error_set(err, "--features '%s' names feature %ld, but the data has %d features (0..%d)", spec, b,
                               F, F - 1);
            break;
        }
        for (long v = a; v <= b && rc == 0; v++) {
            if (seen[v]) {
                rc = kml_error_set(err, "--features '%s' names feature %ld twice", spec, v);
                break;
            }
            seen[v] = 1;
            if (*n == cap) {
                cap = cap ? 2 * cap : 16;
                int *t = realloc(out, (size_t)cap * sizeof *t);
                if (!t) {
                    rc = kml_error_set(err, "--features: out of memory");
                    break;
                }
                out = t;
            }
            out[(*n)++] = (int)v;
        }
    }
    free(seen);
    if (rc || F <= 0) {
        free(out);
        *n = 0;
        return rc;
    }
    *idx = out;
    return 0;
}

int kml_dataset_select_features(kml_dataset *d, const int *idx, int n, kml_error *err)
{
    const size_t steps = (size_t)d->n * (size_t)d->T;
    float *x = malloc((steps ? steps : 1) * (size_t)n * sizeof *x);
    if (!x) return kml_error_set(err, "--features: out of memory for %zu x %d values", steps, n);
    for (size_t s = 0; s < steps; s++)
        for (int k = 0; k < n; k++) x[s * n + k] = d->X[s * d->F + idx[k]];
    free(d->X);
    d->X = x;
    d->F = n;
    return 0;
}
