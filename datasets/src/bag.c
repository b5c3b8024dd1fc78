/* bag.c: cut series into EMI-RNN bags of overlapping, zero-padded windows (kiloml/bag.h). */
#include "kiloml/bag.h"

#include <stdlib.h>
#include <string.h>

int kml_bag_count(int T, int window, int stride)
{
    if (T < 1 || window < 1 || stride < 1) return 0;
    if (T <= window) return 1;
    return 1 + (T - window + stride - 1) / stride;
}

void kml_bags_reset_labels(kml_bags *b)
{
    for (int i = 0; i < b->n_bags; i++)
        for (int j = 0; j < b->n_inst; j++) {
            size_t r = (size_t)i * b->n_inst + j;
            b->inst.y[r] = b->bag_y[i];
            b->weight[r] = j < b->n_valid[i] ? 1.0f : 0.0f;
        }
}

int kml_bags_make(const kml_dataset *d, int window, int stride, kml_bags *out, kml_error *err)
{
    memset(out, 0, sizeof *out);
    if (window < 1 || window > 65535)
        return kml_error_set(err, "EMI bagging: --window must be in 1..65535, got %d", window);
    if (stride < 1) return kml_error_set(err, "EMI bagging: --stride must be >= 1, got %d", stride);
    if (d->n < 1 || d->T < 1 || d->F < 1)
        return kml_error_set(err, "EMI bagging: empty dataset (%d series of %d steps x %d features)", d->n,
                             d->T, d->F);
    int n_inst = kml_bag_count(d->T, window, stride);
    if (n_inst > 255)
        return kml_error_set(err,
                             "EMI bagging: T = %d, window %d, stride %d give %d instances per bag; at most "
                             "255 are supported (raise --stride or --window)",
                             d->T, window, stride, n_inst);
    size_t rows = (size_t)d->n * n_inst, F = (size_t)d->F;
    out->n_bags = d->n;
    out->n_inst = n_inst;
    out->window = window;
    out->stride = stride;
    out->T = d->T;
    out->inst.n = (int)rows;
    out->inst.T = window;
    out->inst.F = d->F;
    out->inst.X = calloc(rows * window * F, sizeof(float));
    out->inst.y = malloc(rows * sizeof(int32_t));
    out->inst.len = malloc(rows * sizeof(int32_t));
    out->weight = malloc(rows * sizeof(float));
    out->bag_y = malloc((size_t)d->n * sizeof(int32_t));
    out->n_valid = malloc((size_t)d->n * sizeof(int32_t));
    if (d->group) out->inst.group = malloc(rows * sizeof(int32_t));
    if (!out->inst.X || !out->inst.y || !out->inst.len || !out->weight || !out->bag_y || !out->n_valid ||
        (d->group && !out->inst.group)) {
        kml_bags_free(out);
        return kml_error_set(err, "EMI bagging: out of memory for %zu instances of %d x %d", rows, window,
                             d->F);
    }
    for (int i = 0; i < d->n; i++) {
        int len = d->len ? d->len[i] : d->T;
        out->bag_y[i] = d->y[i];
        out->n_valid[i] = 0;
        for (int j = 0; j < n_inst; j++) {
            size_t r = (size_t)i * n_inst + j;
            int start = j * stride;
            int valid = len - start;
            if (valid > window) valid = window;
            if (valid > 0) {
                memcpy(out->inst.X + r * window * F, d->X + ((size_t)i * d->T + start) * F,
                       (size_t)valid * F * sizeof(float));
                out->n_valid[i] = j + 1;
            }
            out->inst.len[r] = valid > 0 ? valid : 1;
            if (d->group) out->inst.group[r] = d->group[i];
        }
    }
    kml_bags_reset_labels(out);
    return 0;
}

void kml_bags_free(kml_bags *b)
{
    free(b->inst.X);
    free(b->inst.y);
    free(b->inst.len);
    free(b->inst.group);
    free(b->weight);
    free(b->bag_y);
    free(b->n_valid);
    memset(b, 0, sizeof *b);
}
