/* dataset.c: ownership of kml_dataset / kml_data, row subsets and class counts. */
#include "kiloml/dataset.h"

#include <stdlib.h>
#include <string.h>

void kml_dataset_free(kml_dataset *d)
{
    if (!d) return;
    free(d->X);
    free(d->y);
    free(d->len);
    free(d->group);
    memset(d, 0, sizeof *d);
}

void kml_data_free(kml_data *d)
{
    if (!d) return;
    kml_dataset_free(&d->train);
    kml_dataset_free(&d->test);
    if (d->class_names) {
        for (int c = 0; c < d->C; c++) free(d->class_names[c]);
        free(d->class_names);
    }
    memset(d, 0, sizeof *d);
}

int kml_dataset_subset(const kml_dataset *src, const int *idx, int m, kml_dataset *dst, kml_error *err)
{
    kml_dataset out = {0};
    out.n = m;
    out.T = src->T;
    out.F = src->F;
    size_t row = (size_t)src->T * (size_t)src->F;
    if (m < 0) return kml_error_set(err, "subset: negative row count %d", m);
    /* Allocate at least one element so an empty subset still owns valid (freeable) arrays. */
    size_t mm = m > 0 ? (size_t)m : 1;
    out.X = malloc(mm * (row ? row : 1) * sizeof *out.X);
    out.y = malloc(mm * sizeof *out.y);
    if (src->len) out.len = malloc(mm * sizeof *out.len);
    if (src->group) out.group = malloc(mm * sizeof *out.group);
    if (!out.X || !out.y || (src->len && !out.len) || (src->group && !out.group)) {
        kml_dataset_free(&out);
        return kml_error_set(err, "subset: out of memory for %d series of %d x %d", m, src->T, src->F);
    }
    for (int k = 0; k < m; k++) {
        int i = idx[k];
        if (i < 0 || i >= src->n) {
            kml_dataset_free(&out);
            return kml_error_set(err, "subset: row index %d out of range 0..%d", i, src->n - 1);
        }
        memcpy(out.X + (size_t)k * row, src->X + (size_t)i * row, row * sizeof *out.X);
        out.y[k] = src->y[i];
        if (out.len) out.len[k] = src->len[i];
        if (out.group) out.group[k] = src->group[i];
    }
    *dst = out;
    return 0;
}

void kml_dataset_class_counts(const kml_dataset *d, int C, int *counts)
{
    for (int c = 0; c < C; c++) counts[c] = 0;
    for (int i = 0; i < d->n; i++)
        if (d->y[i] >= 0 && d->y[i] < C) counts[d->y[i]]++;
}
